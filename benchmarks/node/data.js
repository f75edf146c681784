'use strict';
// Data reference: the tutorial's protected action. mongodb + one findOne by token hash.
const { event, tokenHash, finish, fail } = require('./common');
const { MongoClient } = require('mongodb');

const client = new MongoClient(process.env.MONGODB_URI, { serverSelectionTimeoutMS: 2000 });

async function handler(evt) {
  const token = (evt.headers.authorization || '').replace(/^Bearer /, '');
  const session = await client
    .db(process.env.MONGODB_DATABASE)
    .collection('sessions')
    .findOne(
      { access_token_hash: tokenHash(token), access_expires_at: { $gt: new Date() }, revoked_at: null },
      { projection: { user_id: 1 } },
    );
  if (!session) return { statusCode: 401, body: '' };
  return { statusCode: 200, body: `Hello ${JSON.parse(evt.body).name}` };
}

module.exports = { handler, client };
if (require.main === module) handler(event).then(finish, fail);

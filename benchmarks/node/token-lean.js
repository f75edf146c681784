'use strict';
// Lean token reference: google-auth-library's OAuth2Client + mongodb + one insert.
const { event, mint, sha256, finish, fail } = require('./common');
const { OAuth2Client } = require('google-auth-library');
const { MongoClient } = require('mongodb');

const oauth = new OAuth2Client({
  clientId: process.env.GOOGLE_CLIENT_ID,
  clientSecret: process.env.GOOGLE_CLIENT_SECRET,
});
const client = new MongoClient(process.env.MONGODB_URI, { serverSelectionTimeoutMS: 2000 });

async function handler(evt) {
  const form = new URLSearchParams(Buffer.from(evt.body, 'base64').toString('utf8'));
  if (form.get('client_id') !== process.env.GPT_CLIENT_ID || !oauth) return { statusCode: 401, body: '' };
  const accessToken = mint('gat_');
  const refreshToken = mint('grt_');
  const now = new Date();
  await client.db(process.env.MONGODB_DATABASE).collection('sessions').insertOne({
    _id: mint(''),
    access_token_hash: sha256(accessToken),
    refresh_token_hash: sha256(refreshToken),
    access_expires_at: new Date(now.getTime() + 3600e3),
    created_at: now,
  });
  return {
    statusCode: 200,
    body: JSON.stringify({ access_token: accessToken, token_type: 'bearer', expires_in: 3600, refresh_token: refreshToken }),
  };
}

module.exports = { handler, client };
if (require.main === module) handler(event).then(finish, fail);

'use strict';
// Lean token reference: google-auth-library's OAuth2Client + mongodb + one insert.
const { event, finish, fail, tokenHandler } = require('./common');
const { OAuth2Client } = require('google-auth-library');
const { MongoClient } = require('mongodb');

const oauth = new OAuth2Client({
  clientId: process.env.GOOGLE_CLIENT_ID,
  clientSecret: process.env.GOOGLE_CLIENT_SECRET,
});
const client = new MongoClient(process.env.MONGODB_URI, { serverSelectionTimeoutMS: 2000 });
const handler = tokenHandler(client, oauth);

module.exports = { handler, client };
if (require.main === module) handler(event).then(finish, fail);

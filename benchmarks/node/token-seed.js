'use strict';
// Seed-style token reference: the tutorial's stack, googleapis + mongodb + one insert.
const { event, finish, fail, tokenHandler } = require('./common');
const { google } = require('googleapis');
const { MongoClient } = require('mongodb');

const oauth = new google.auth.OAuth2(process.env.GOOGLE_CLIENT_ID, process.env.GOOGLE_CLIENT_SECRET);
const client = new MongoClient(process.env.MONGODB_URI, { serverSelectionTimeoutMS: 2000 });
const handler = tokenHandler(client, oauth);

module.exports = { handler, client };
if (require.main === module) handler(event).then(finish, fail);

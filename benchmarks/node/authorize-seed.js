'use strict';
// Seed-style authorize reference: googleapis' OAuth2 client handles Google's callback. It
// exchanges the code and verifies the id_token against the provider stub (PROVIDER_URL).
const { event, finish, fail } = require('./common');
const { google } = require('googleapis');

const provider = process.env.PROVIDER_URL;
const oauth = new google.auth.OAuth2({
  clientId: process.env.GOOGLE_CLIENT_ID,
  clientSecret: process.env.GOOGLE_CLIENT_SECRET,
  redirectUri: process.env.GOOGLE_REDIRECT_URI,
  endpoints: {
    oauth2TokenUrl: `${provider}/google/token`,
    oauth2FederatedSignonPemCertsUrl: `${provider}/google/certs`,
  },
});

async function handler(evt) {
  const query = new URLSearchParams(evt.rawQueryString);
  const { tokens } = await oauth.getToken(query.get('code'));
  const ticket = await oauth.verifyIdToken({ idToken: tokens.id_token, audience: process.env.GOOGLE_CLIENT_ID });
  const user = ticket.getPayload();
  const location = `${process.env.GPT_CALLBACK}?code=${encodeURIComponent(user.sub)}&state=${query.get('state')}`;
  return { statusCode: 302, headers: { Location: location }, body: '' };
}

module.exports = { handler };
if (require.main === module) handler(event).then(finish, fail);

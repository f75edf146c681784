'use strict';
// Shared by the reference scripts: the event and settings come from the harness's environment,
// the answer goes to stdout as one line, and the process ends at once (no shutdown cost).
const crypto = require('crypto');
const fs = require('fs');

const event = JSON.parse(process.env.BENCH_EVENT || '{}');

// A token as the store keeps it: HMAC-SHA256 under the first TOKEN_HASH_KEYS entry (id:base64key),
// as the Python functions hash it; read at each call, since with-secret.js sets it from the secret.
function tokenHash(text) {
  const [first] = (process.env.TOKEN_HASH_KEYS || '').trim().split(/[\s,]+/);
  const key = Buffer.from(first.slice(first.indexOf(':') + 1), 'base64');
  return crypto.createHmac('sha256', key).update(text).digest('hex');
}

function mint(prefix) {
  return prefix + crypto.randomBytes(32).toString('base64url');
}

// Peak RSS since exec (VmHWM): the harness's own memory is not in it, unlike wait4's ru_maxrss.
function peakRssKb() {
  return Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
}

function finish(response) {
  const result = { status: response.statusCode, peak_rss_kb: peakRssKb() };
  fs.writeSync(1, `BENCH_RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

function fail(error) {
  fs.writeSync(2, `${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
}

// The token references' handler: check the client, mint a pair, store their hashes (one insert).
function tokenHandler(client, oauth) {
  return async (evt) => {
    const form = new URLSearchParams(Buffer.from(evt.body, 'base64').toString('utf8'));
    if (form.get('client_id') !== process.env.GPT_CLIENT_ID || !oauth) return { statusCode: 401, body: '' };
    const accessToken = mint('gat_');
    const refreshToken = mint('grt_');
    const now = new Date();
    await client.db(process.env.MONGODB_DATABASE).collection('sessions').insertOne({
      _id: mint(''),
      access_token_hash: tokenHash(accessToken),
      refresh_token_hash: tokenHash(refreshToken),
      access_expires_at: new Date(now.getTime() + 3600e3),
      created_at: now,
    });
    const body = { access_token: accessToken, token_type: 'bearer', expires_in: 3600, refresh_token: refreshToken };
    return { statusCode: 200, body: JSON.stringify(body) };
  };
}

module.exports = { event, tokenHash, mint, finish, fail, tokenHandler };

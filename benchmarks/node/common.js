'use strict';
// Shared by the reference scripts: the event and settings come from the harness's environment,
// the answer goes to stdout as one line, and the process ends at once (no shutdown cost).
const crypto = require('crypto');
const fs = require('fs');

const event = JSON.parse(process.env.BENCH_EVENT || '{}');

function sha256(text) {
  return crypto.createHash('sha256').update(text).digest('hex');
}

function mint(prefix) {
  return prefix + crypto.randomBytes(32).toString('base64url');
}

function finish(response) {
  fs.writeSync(1, `BENCH_RESULT ${JSON.stringify({ status: response.statusCode })}\n`);
  process.exit(0);
}

function fail(error) {
  fs.writeSync(2, `${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
}

module.exports = { event, sha256, mint, finish, fail };

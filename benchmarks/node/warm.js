'use strict';
// Warm latency of a reference handler in one process: `node warm.js data 2000`.
const fs = require('fs');
const { event } = require('./common');

async function main() {
  const [name, count] = [process.argv[2], Number(process.argv[3] || 2000)];
  const { handler } = require(`./${name}.js`);
  for (let i = 0; i < Math.min(50, count); i += 1) await handler(event); // connect, JIT
  const samples = [];
  for (let i = 0; i < count; i += 1) {
    const started = process.hrtime.bigint();
    const response = await handler(event);
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (response.statusCode >= 400) throw new Error(`status ${response.statusCode}`);
  }
  fs.writeSync(1, `BENCH_RESULT ${JSON.stringify({ samples_ms: samples })}\n`);
  process.exit(0);
}

main().catch((error) => {
  fs.writeSync(2, `${error.stack}\n`);
  process.exit(1);
});

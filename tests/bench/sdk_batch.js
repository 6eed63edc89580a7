// sdk_batch.js — the official FASHN TypeScript SDK (npm `fashn`) running a batch the
// obvious way: Promise.all over client.predictions.subscribe, one per job, all at once.
// Each promise records its outcome instead of rejecting the whole batch, so failures can
// be counted; nothing else about the SDK's behaviour is changed. Prints one JSON line.
// Env: FASHN_BASE_URL (the emulator), N (jobs), T_PROC (the emulated processing time, s).
'use strict';
const Fashn = require('fashn');

async function main() {
  const n = Number(process.env.N || 48);
  const tProc = Number(process.env.T_PROC || 12);
  const client = new Fashn({ apiKey: 'bench-key' });
  const t0 = Date.now();
  const outcomes = await Promise.all(
    Array.from({ length: n }, (_, i) => {
      let accepted = null;
      return client.predictions
        .subscribe({
          model_name: 'model-create',
          inputs: { prompt: `bench look ${i + 1}`, seed: i + 1 },
          onEnqueued: () => {
            accepted = Date.now();
          },
        })
        .then(
          (r) => ({
            ok: r.status === 'completed',
            status: r.error ? r.error.name || r.status : r.status,
            delay: accepted ? (Date.now() - accepted) / 1000 - tProc : null,
          }),
          (e) => ({ ok: false, status: (e && e.constructor && e.constructor.name) || String(e) }),
        );
    }),
  );
  const wall = (Date.now() - t0) / 1000;
  const ok = outcomes.filter((o) => o.ok);
  const delays = ok.map((o) => o.delay).filter((d) => d !== null);
  const why = {};
  for (const o of outcomes) if (!o.ok) why[o.status] = (why[o.status] || 0) + 1;
  console.log(JSON.stringify({
    wall,
    failed: n - ok.length,
    why,
    delay: delays.length ? delays.reduce((a, b) => a + b, 0) / delays.length : null,
  }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

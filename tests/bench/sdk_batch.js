// sdk_batch.js — the official FASHN TypeScript SDK (npm `fashn`) running a batch the
// obvious way: Promise.all over client.predictions.subscribe, one per job, all at once.
// Each promise records its outcome instead of rejecting the whole batch, so failures can
// be counted; nothing else about the SDK's behaviour is changed. Prints one JSON line.
// Env: FASHN_BASE_URL (the emulator); then either N (model-create jobs) and T_PROC (the
// emulated processing time, s), or JOBS_FILE: a JSON list of {model, inputs} whose image
// fields are local PNG paths, sent as data: URIs (the mixed bench). With JOBS_FILE the line
// also has `noticed`: for each prediction id, when its final status was seen, in seconds of
// process.hrtime (CLOCK_MONOTONIC, the emulator's clock for finished_at).
'use strict';
const fs = require('fs');
const Fashn = require('fashn');

const IMAGE_FIELDS = ['image', 'model_image', 'product_image', 'garment_image'];

// A job of the mixed bench as SDK 0.11.1 spells it: images as data: URIs, reframe's ratio
// as target_aspect_ratio with mode 'aspect_ratio'.
function sdkJob(j) {
  const inputs = { ...j.inputs };
  for (const f of IMAGE_FIELDS) {
    if (typeof inputs[f] === 'string' && !inputs[f].startsWith('data:')) {
      inputs[f] = 'data:image/png;base64,' + fs.readFileSync(inputs[f]).toString('base64');
    }
  }
  if (j.model === 'reframe' && inputs.aspect_ratio) {
    inputs.mode = 'aspect_ratio';
    inputs.target_aspect_ratio = inputs.aspect_ratio;
    delete inputs.aspect_ratio;
  }
  return { model_name: j.model, inputs };
}

const monotonic = () => Number(process.hrtime.bigint()) / 1e9;

async function main() {
  const n = Number(process.env.N || 48);
  const tProc = Number(process.env.T_PROC || 12);
  const list = process.env.JOBS_FILE
    ? JSON.parse(fs.readFileSync(process.env.JOBS_FILE, 'utf8')).map(sdkJob)
    : Array.from({ length: n }, (_, i) => ({
        model_name: 'model-create',
        inputs: { prompt: `bench look ${i + 1}`, seed: i + 1 },
      }));
  const client = new Fashn({ apiKey: 'bench-key' });
  const noticed = {};
  const t0 = Date.now();
  const outcomes = await Promise.all(
    list.map((params) => {
      let accepted = null;
      let id = null;
      return client.predictions
        .subscribe({
          ...params,
          onEnqueued: (requestId) => {
            accepted = Date.now();
            id = requestId;
          },
        })
        .then(
          (r) => {
            if (id) noticed[id] = monotonic();
            return {
              ok: r.status === 'completed',
              status: r.error ? r.error.name || r.status : r.status,
              delay: accepted ? (Date.now() - accepted) / 1000 - tProc : null,
            };
          },
          (e) => ({ ok: false, status: (e && e.constructor && e.constructor.name) || String(e) }),
        );
    }),
  );
  const wall = (Date.now() - t0) / 1000;
  const ok = outcomes.filter((o) => o.ok);
  const delays = ok.map((o) => o.delay).filter((d) => d !== null);
  const why = {};
  for (const o of outcomes) if (!o.ok) why[o.status] = (why[o.status] || 0) + 1;
  const out = {
    wall,
    failed: list.length - ok.length,
    why,
    delay: delays.length ? delays.reduce((a, b) => a + b, 0) / delays.length : null,
  };
  if (process.env.JOBS_FILE) {
    delete out.delay; // the bench computes it from the emulator's finished_at
    out.noticed = noticed;
  }
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

// conformance.js — runs the official FASHN TypeScript SDK (npm `fashn`) against fashn-emu
// and prints one line per check: "ok NAME" or "FAIL NAME: why". Run by
// tests/integration/test_emu_sdk.lua, which starts the emulators and passes their URLs:
//   FASHN_BASE_URL   an emulator started with --api-key $EMU_KEY (the SDK reads this itself)
//   EMU_FAIL_URL     one with --fail-rate 1 --fail-names ThirdPartyError
//   EMU_LIMITED_URL  one with --run-limit 1
// NODE_PATH points at the cached node_modules holding `fashn`.
'use strict';
const Fashn = require('fashn');

const KEY = process.env.EMU_KEY;
const checks = [];
const check = (name, fn) => checks.push({ name, fn });

function assert(cond, what) {
  if (!cond) throw new Error(what);
}

function pngSize(buf) {
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert(buf.length > 24 && buf.subarray(0, 8).equals(sig), 'not a PNG');
  assert(buf.toString('latin1', 12, 16) === 'IHDR', 'no IHDR first');
  return [buf.readUInt32BE(16), buf.readUInt32BE(20)];
}

// The error an SDK call throws (or a failure when it does not throw).
async function thrown(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to throw');
}

const client = new Fashn({ apiKey: KEY }); // base URL from FASHN_BASE_URL, as users do
let firstOutput;

check('subscribe completes with the default 1 s polling', async () => {
  const seen = [];
  const r = await client.predictions.subscribe({
    model_name: 'model-create',
    inputs: { prompt: 'sdk conformance: linen suit', aspect_ratio: '3:4', seed: 7 },
    onQueueUpdate: (s) => seen.push(s.status),
  });
  assert(r.status === 'completed', `status ${r.status} ${JSON.stringify(r.error)}`);
  assert(r.error === null, 'error is null');
  assert(Array.isArray(r.output) && r.output.length === 1, 'one output');
  assert(typeof r.id === 'string' && r.id.length > 0, 'an id');
  assert(seen[seen.length - 1] === 'completed', `updates end with completed: ${seen}`);
  assert(r.creditsUsed === 1, `creditsUsed ${r.creditsUsed}`);
  firstOutput = r.output[0];
});

check('the output URL downloads as a PNG of the contract size', async () => {
  assert(firstOutput, 'no output from the previous check');
  const res = await fetch(firstOutput);
  assert(res.status === 200, `HTTP ${res.status}`);
  assert(res.headers.get('content-type') === 'image/png', `content-type ${res.headers.get('content-type')}`);
  const [w, h] = pngSize(Buffer.from(await res.arrayBuffer()));
  assert(w === 880 && h === 1176, `size ${w}x${h}`);
});

check('creditsUsed comes from x-fashn-credits-used: num_images x 1, x 4 with face_reference', async () => {
  const two = await client.predictions.subscribe({
    model_name: 'model-create',
    inputs: { prompt: 'two looks', num_images: 2 },
    pollInterval: 50,
  });
  assert(two.status === 'completed' && two.creditsUsed === 2, `2 images: ${two.status} ${two.creditsUsed}`);
  const face = await client.predictions.subscribe({
    model_name: 'model-create',
    inputs: { prompt: 'with a face', face_reference: firstOutput, face_reference_mode: 'match_base' },
    pollInterval: 50,
  });
  assert(face.status === 'completed' && face.creditsUsed === 4, `face: ${face.status} ${face.creditsUsed}`);
});

check('run then status: an opaque id, then the status body', async () => {
  const run = await client.predictions.run({ model_name: 'model-create', inputs: { prompt: 'manual' } });
  assert(typeof run.id === 'string' && run.error === null, JSON.stringify(run));
  const st = await client.predictions.status(run.id);
  assert(st.id === run.id, 'same id');
  assert(['starting', 'in_queue', 'processing', 'completed'].includes(st.status), `status ${st.status}`);
});

check('return_base64 outputs are data URIs', async () => {
  const r = await client.predictions.subscribe({
    model_name: 'model-create',
    inputs: { prompt: 'inline', return_base64: true, output_format: 'jpeg' },
    pollInterval: 50,
  });
  assert(r.status === 'completed', r.status);
  assert(/^data:image\/jpeg;base64,\/9j\//.test(r.output[0]), r.output[0].slice(0, 40));
});

check('bad inputs are 400 BadRequestError naming the field', async () => {
  const e = await thrown(client.predictions.run({ model_name: 'model-create', inputs: { prompt: 'x', num_images: 9 } }));
  assert(e instanceof Fashn.BadRequestError, `got ${e && e.constructor.name}: ${e}`);
  assert(e.status === 400 && e.error.error === 'BadRequest', JSON.stringify(e.error));
  assert(/num_images/.test(e.message), e.message);
  const m = await thrown(client.predictions.run({ model_name: 'tryon-v9', inputs: { prompt: 'x' } }));
  assert(m instanceof Fashn.BadRequestError && /model_name/.test(m.message), `${m}`);
  const t = await thrown(client.predictions.run({ model_name: 'tryon-v1.6', inputs: { garment_image: firstOutput } }));
  assert(t instanceof Fashn.BadRequestError && /model_image/.test(t.message), `${t}`);
});

// Every model SDK 0.11.1 types (tryon-max, edit and packshot came later), run the way
// its types spell the inputs, chained from the first check's output (an emulator URL).
// Each: model_name, inputs, credits, Content-Type, [width, height] of a PNG.
const MODELS = [
  ['tryon-v1.6', { category: 'tops', mode: 'performance', num_samples: 1 }, 1, 'image/png', [864, 1296]],
  ['product-to-model', { resolution: '1k', prompt: 'studio' }, 1, 'image/png', [880, 1176]],
  ['face-to-model', { aspect_ratio: '4:5' }, 1, 'image/jpeg', null],
  ['model-swap', { prompt: 'another model' }, 1, 'image/png', [880, 1176]],
  ['reframe', { mode: 'aspect_ratio', target_aspect_ratio: '16:9' }, 1, 'image/png', [1360, 768]],
  ['background-change', { prompt: 'a plain studio wall' }, 1, 'image/png', [880, 1176]],
  ['background-remove', {}, 1, 'image/png', [880, 1176]],
  ['image-to-video', { duration: 5, resolution: '480p', prompt: 'a slow turn' }, 1, 'video/mp4', null],
];
const IMAGE_FIELDS = {
  'tryon-v1.6': ['model_image', 'garment_image'], 'product-to-model': ['product_image'],
  'face-to-model': ['face_image'], 'model-swap': ['model_image'],
};
let wideOutput;

check('every model SDK 0.11.1 types runs through subscribe with its price and output', async () => {
  assert(firstOutput, 'no output from the first check');
  for (const [model, extra, credits, type, size] of MODELS) {
    const inputs = { ...extra };
    for (const f of IMAGE_FIELDS[model] || ['image']) inputs[f] = firstOutput;
    const r = await client.predictions.subscribe({ model_name: model, inputs, pollInterval: 50 });
    assert(r.status === 'completed', `${model}: ${r.status} ${JSON.stringify(r.error)}`);
    assert(r.creditsUsed === credits, `${model}: creditsUsed ${r.creditsUsed}, expected ${credits}`);
    assert(Array.isArray(r.output) && r.output.length === 1, `${model}: one output`);
    const res = await fetch(r.output[0]);
    assert(res.headers.get('content-type') === type, `${model}: content-type ${res.headers.get('content-type')}`);
    const body = Buffer.from(await res.arrayBuffer());
    if (size) {
      const [w, h] = pngSize(body);
      assert(w === size[0] && h === size[1], `${model}: size ${w}x${h}`);
    }
    if (model === 'reframe') wideOutput = r.output[0];
  }
});

check("the models' own failures come back from subscribe: PoseError, InputValidationError", async () => {
  assert(wideOutput, 'no 16:9 output from the previous check');
  const pose = await client.predictions.subscribe({
    model_name: 'tryon-v1.6', inputs: { model_image: wideOutput, garment_image: firstOutput }, pollInterval: 50,
  });
  assert(pose.status === 'failed' && pose.error && pose.error.name === 'PoseError', JSON.stringify(pose.error));
  const same = await client.predictions.subscribe({
    model_name: 'reframe', inputs: { image: wideOutput, mode: 'aspect_ratio', target_aspect_ratio: '16:9' },
    pollInterval: 50,
  });
  assert(same.status === 'failed' && same.error && same.error.name === 'InputValidationError',
    JSON.stringify(same.error));
  assert(same.creditsUsed === undefined, 'a failure is not charged');
});

check('a retired model is 400 BadRequestError saying what replaces it', async () => {
  const e = await thrown(client.predictions.run({ model_name: 'model-variation', inputs: { model_image: firstOutput } }));
  assert(e instanceof Fashn.BadRequestError && /retired/.test(e.message), `${e}`);
});

check('a wrong key is 401 AuthenticationError', async () => {
  const wrong = new Fashn({ apiKey: KEY + '-wrong' });
  const e = await thrown(wrong.predictions.run({ model_name: 'model-create', inputs: { prompt: 'x' } }));
  assert(e instanceof Fashn.AuthenticationError, `got ${e && e.constructor.name}: ${e}`);
  assert(e.status === 401 && e.error.error === 'UnauthorizedAccess', JSON.stringify(e.error));
  assert(!e.message.includes(KEY), 'the key is not echoed');
});

check('an unknown id is 404 NotFoundError', async () => {
  const e = await thrown(client.predictions.status('123a87r9-4129-4bb3-be18-9c9fb5bd7fc1-u1'));
  assert(e instanceof Fashn.NotFoundError, `got ${e && e.constructor.name}: ${e}`);
  assert(e.status === 404 && e.error.error === 'NotFound', JSON.stringify(e.error));
});

check('a failed prediction comes back from subscribe with its error', async () => {
  const c = new Fashn({ apiKey: 'any', baseURL: process.env.EMU_FAIL_URL });
  const r = await c.predictions.subscribe({ model_name: 'model-create', inputs: { prompt: 'doomed' }, pollInterval: 50 });
  assert(r.status === 'failed', r.status);
  assert(r.error && r.error.name === 'ThirdPartyError' && typeof r.error.message === 'string', JSON.stringify(r.error));
  assert(r.creditsUsed === undefined, 'no credits header on failure');
});

check('429 RateLimitExceeded reaches the SDK as RateLimitError with Retry-After', async () => {
  const c = new Fashn({ apiKey: 'any', baseURL: process.env.EMU_LIMITED_URL, maxRetries: 0 });
  await c.predictions.run({ model_name: 'model-create', inputs: { prompt: 'first' } });
  const e = await thrown(c.predictions.run({ model_name: 'model-create', inputs: { prompt: 'second' } }));
  assert(e instanceof Fashn.RateLimitError, `got ${e && e.constructor.name}: ${e}`);
  assert(e.error.error === 'RateLimitExceeded', JSON.stringify(e.error));
  const ra = Number(e.headers.get('retry-after'));
  assert(Number.isInteger(ra) && ra >= 1 && ra <= 60, `retry-after ${e.headers.get('retry-after')}`);
});

(async () => {
  for (const c of checks) {
    try {
      await c.fn();
      console.log(`ok ${c.name}`);
    } catch (e) {
      console.log(`FAIL ${c.name}: ${String(e && e.stack ? e.stack : e).replace(/\n/g, ' | ')}`);
    }
  }
})();

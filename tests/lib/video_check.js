// video_check.js — opens a video URL in headless Chromium (puppeteer-core, Debian's
// chromium) as a browser tab does (its own <video> page), waits until a frame is shown,
// draws that first frame onto a canvas, plays the clip to its end, and prints one JSON
// line: what the browser said it can play, readyState, videoWidth/Height, duration,
// whether `ended` fired, any media error, and the RGB at the frame's middle.
//   node video_check.js NODE_MODULES CHROMIUM URL
const [modules, chromium, url] = process.argv.slice(2);
const puppeteer = require(modules + "/puppeteer-core");

(async () => {
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--no-first-run", "--disable-extensions", "--autoplay-policy=no-user-gesture-required",
      "--allow-file-access-from-files"],
  });
  try {
    const page = await browser.newPage();
    await page.goto(url, { waitUntil: "load", timeout: 30000 });
    const r = await page.evaluate(async () => {
      const sleep = ms => new Promise(r => setTimeout(r, ms));
      const v = document.querySelector("video");
      if (!v) return { error: "no <video> element: " + document.documentElement.outerHTML.slice(0, 300) };
      v.pause();
      const out = { canPlay: v.canPlayType('video/mp4; codecs="avc1.42C01E"') };
      const t0 = Date.now();
      while (v.readyState < 2 && !v.error && Date.now() - t0 < 15000) await sleep(50);
      Object.assign(out, { readyState: v.readyState, videoWidth: v.videoWidth, videoHeight: v.videoHeight,
        duration: v.duration, error: v.error ? v.error.code + " " + v.error.message : null });
      if (v.readyState < 2) return out;
      const c = document.createElement("canvas");
      c.width = v.videoWidth, c.height = v.videoHeight;
      const g = c.getContext("2d");
      g.drawImage(v, 0, 0);
      out.middle = [...g.getImageData(v.videoWidth >> 1, v.videoHeight >> 1, 1, 1).data].slice(0, 3);
      v.muted = true;
      const ended = new Promise(r => v.addEventListener("ended", () => r(true), { once: true }));
      await v.play().catch(e => { out.playError = String(e); });
      out.ended = await Promise.race([ended, sleep(20000).then(() => false)]);
      out.currentTime = v.currentTime;
      return out;
    });
    console.log(JSON.stringify(r));
  } finally {
    await browser.close();
  }
})().catch(e => { console.error(String(e && e.stack || e)); process.exit(1); });

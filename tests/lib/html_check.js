// html_check.js — opens a web lookbook in headless Chromium (puppeteer-core, Debian's
// chromium) at each given width and prints what a reader would see, as one JSON line per
// width: the page's overflow, every picture's width against its cell's, whether each
// image loaded, its link, and what is visible (parameters, internal ids, the cover).
// With PRINT_PDF, the page is also printed to that file (its print stylesheet, the page
// size it asks for), as a reader printing it would.
//   node html_check.js NODE_MODULES CHROMIUM FILE_URL 390,1280,1920 [PRINT_PDF]
const [modules, chromium, url, widths, printTo] = process.argv.slice(2);
const puppeteer = require(modules + "/puppeteer-core");

(async () => {
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--no-first-run", "--disable-extensions"],
  });
  try {
    for (const w of widths.split(",").map(Number)) {
      const page = await browser.newPage();
      await page.setViewport({ width: w, height: 900 });
      await page.goto(url, { waitUntil: "load" });
      // lazy images: scroll through the page so every one loads
      await page.evaluate(async () => {
        for (let y = 0; y < document.body.scrollHeight; y += 600) { window.scrollTo(0, y); await new Promise(r => setTimeout(r, 20)); }
        await Promise.all([...document.images].map(i => i.complete ? 0 : new Promise(r => { i.onload = i.onerror = r; })));
      });
      const r = await page.evaluate(() => {
        const figs = [...document.querySelectorAll("figure")].map(f => {
          const img = f.querySelector("img"), frame = f.querySelector(".frame");
          const a = f.querySelector("a");
          return {
            img: img.getBoundingClientRect().width, cell: f.getBoundingClientRect().width,
            frame: frame.getBoundingClientRect().width, loaded: img.complete && img.naturalWidth > 0,
            natural: img.naturalWidth, current: img.currentSrc.replace(/^.*\//, ""), href: a ? a.getAttribute("href") : null,
          };
        });
        const visible = e => e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden";
        return {
          scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
          figures: figs, text: document.body.innerText,
          cover: visible(document.querySelector(".cover")),
          details: [...document.querySelectorAll("details")].length,
          sections: [...document.querySelectorAll("h2")].map(h => h.textContent),
          footer: document.querySelector("body > footer").textContent,
        };
      });
      r.width = w;
      console.log(JSON.stringify(r));
      await page.close();
    }
    if (printTo) {
      const page = await browser.newPage();
      await page.goto(url, { waitUntil: "load" });
      await page.evaluate(() => document.querySelectorAll("img").forEach(i => { i.loading = "eager"; }));
      await page.pdf({ path: printTo, preferCSSPageSize: true, printBackground: true });
      await page.close();
    }
  } finally {
    await browser.close();
  }
})().catch(e => { console.error(String(e && e.stack || e)); process.exit(1); });

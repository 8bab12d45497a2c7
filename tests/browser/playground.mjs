// Drives the axon playground in headless Chromium through every tab and checks that the page updates:
//   [PROMPT=…] node tests/browser/playground.mjs http://127.0.0.1:PORT SCREENSHOT_DIR
// Run by `test_serve --browser` (CTest test_serve_browser), which starts `axon serve` with a tiny GPT and MLP, and by
// `test_serve_translate --browser` (TRANSLATE=… set: a seq2seq model as well) and `test_serve_ner --browser` (NER=…: a
// tagger as well); any server with a GPT and an MLP will do (docs/img/ was made against runs of `axon train gpt` and `axon train mlp`).
// Chromium is spoken to with the DevTools protocol over --remote-debugging-pipe (fd 3: commands, fd 4:
// replies and events, each message a JSON text ended by a NUL byte): no WebSocket, no npm packages.
// Prints "playground: ok" and exits 0 when every check passes; else prints what failed and exits 1.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [url, shots] = process.argv.slice(2);
if (!url || !shots) {
  console.error("usage: node playground.mjs URL SCREENSHOT_DIR");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const browserPath = process.env.CHROMIUM || "chromium";
const profile = mkdtempSync(join(tmpdir(), "axon-chromium-"));
const failures = [];
const check = (ok, what) => { console.log(`${ok ? "ok  " : "FAIL"} ${what}`); if (!ok) failures.push(what); };

// ---- the browser and the protocol ----
const chrome = spawn(browserPath, ["--headless=new", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
  "--no-first-run", "--disable-extensions", "--hide-scrollbars", `--user-data-dir=${profile}`, "--window-size=1100,900",
  "about:blank"], { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
let stderr = "";
chrome.stderr.on("data", (d) => { stderr += d; });
const toBrowser = chrome.stdio[3], fromBrowser = chrome.stdio[4];
let nextId = 1, inbox = Buffer.alloc(0);
const pending = new Map(), exceptions = [];
fromBrowser.on("data", (chunk) => {
  inbox = Buffer.concat([inbox, chunk]);
  let end;
  while ((end = inbox.indexOf(0)) >= 0) {
    const msg = JSON.parse(inbox.subarray(0, end).toString("utf8"));
    inbox = inbox.subarray(end + 1);
    if (msg.id && pending.has(msg.id)) {
      const { resolve, reject } = pending.get(msg.id);
      pending.delete(msg.id);
      msg.error ? reject(new Error(JSON.stringify(msg.error))) : resolve(msg.result);
    } else if (msg.method === "Runtime.exceptionThrown") {
      exceptions.push(msg.params.exceptionDetails.exception?.description || msg.params.exceptionDetails.text);
    }
  }
});
function send(method, params = {}, sessionId) {
  const id = nextId++;
  toBrowser.write(JSON.stringify({ id, method, params, sessionId }) + "\0");
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

let session;
const cdp = (method, params) => send(method, params, session);
async function evaluate(expr) {
  const r = await cdp("Runtime.evaluate", { expression: expr, returnByValue: true, awaitPromise: true });
  if (r.exceptionDetails) throw new Error(`${expr}: ${r.exceptionDetails.exception?.description}`);
  return r.result.value;
}
async function waitFor(expr, what, ms = 15000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await evaluate(expr)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  check(false, `${what} (timed out waiting for ${expr})`);
  return false;
}
async function screenshot(name) {
  const { data } = await cdp("Page.captureScreenshot", { format: "png" });
  writeFileSync(join(shots, `playground-${name}.png`), Buffer.from(data, "base64"));
}
const openTab = (tab) => evaluate(`document.querySelector('nav button[data-tab=${tab}]').click(), true`);
const visible = (id) => `getComputedStyle(document.getElementById('${id}')).display !== 'none'`;

// ---- the tabs ----
async function generateTab() {
  check(await evaluate(visible("generate")), "the Generate tab is shown first");
  if (process.env.PROMPT) await evaluate(`document.getElementById('gen-prompt').value = ${JSON.stringify(process.env.PROMPT)}; true`);
  await evaluate(`(() => { const s = document.getElementById('maxt'); s.value = 40; s.dispatchEvent(new Event('input')); return true; })()`);
  check(await evaluate(`document.getElementById('maxt-v').textContent === '40'`), "the max-tokens slider shows its value");
  await evaluate(`document.getElementById('gen-go').click(), true`);
  await waitFor(`document.getElementById('gen-out').dataset.done === 'yes'`, "generation finishes");
  const text = await evaluate(`document.getElementById('gen-text').textContent`);
  const stats = await evaluate(`document.getElementById('gen-stats').textContent`);
  check(text.length >= 10, `tokens streamed into the page (${JSON.stringify(text.slice(0, 40))})`);
  check(/\d+ tokens · [\d.]+ tokens\/s · first token after \d+ ms · finished: (length|stop)/.test(stats), `the speed line: ${stats}`);
  await screenshot("generate");
}

async function unavailableTab(tab, message) {
  await openTab(tab);
  check(await evaluate(visible(tab)) && !(await evaluate(visible("generate"))), `the ${tab} tab replaces the others`);
  check(await evaluate(`document.querySelector('#${tab} .notice').textContent.includes(${JSON.stringify(message)})`),
    `the ${tab} tab says "${message}"`);
  check(await evaluate(`document.querySelector('#${tab} fieldset').disabled`), `the ${tab} controls are disabled`);
  await screenshot(tab);
}

// TRANSLATE (a source sentence) set: a translation model is loaded; the page must show what /v1/translate answers
async function translateTab(text) {
  await openTab("translate");
  check(await evaluate(visible("translate")) && !(await evaluate(`document.querySelector('#translate fieldset').disabled`)),
    "the Translate tab is usable with a translation model loaded");
  await evaluate(`document.getElementById('tr-src').value = ${JSON.stringify(text)}; true`);
  await evaluate(`(() => { const s = document.getElementById('beam'); s.value = 2; s.dispatchEvent(new Event('input')); return true; })()`);
  await evaluate(`document.getElementById('tr-go').click(), true`);
  await waitFor(`!document.getElementById('heat').hidden`, "the attention heatmap appears");
  const shown = await evaluate(`document.getElementById('tr-out').textContent`);
  const want = await evaluate(`fetch('/v1/translate', { method: 'POST', body: JSON.stringify({ model: document.getElementById('tr-model').value,
    text: ${JSON.stringify(text)}, beam_size: 2 }) }).then((r) => r.json()).then((j) => j.translations[0].text)`);
  check(shown.length > 0 && shown === want, `the page shows the server's beam-2 translation (${JSON.stringify(shown)})`);
  const blue = await evaluate(`(() => { const c = document.getElementById('heat'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0; for (let i = 0; i < d.length; i += 4) n += d[i + 2] === 255 && d[i] < 200; return n; })()`);
  check(blue > 100, `the heatmap has attention cells drawn (${blue} shaded pixels)`);
  await screenshot("translate");
}

// NER (a text) set: a tagger is loaded; the page must mark what /v1/ner answers
async function nerTab(text) {
  await openTab("ner");
  check(await evaluate(visible("ner")) && !(await evaluate(`document.querySelector('#ner fieldset').disabled`)),
    "the NER tab is usable with a tagger loaded");
  await evaluate(`document.getElementById('ner-text').value = ${JSON.stringify(text)}; true`);
  await evaluate(`document.getElementById('ner-go').click(), true`);
  await waitFor(`document.querySelectorAll('#ner-out mark').length > 0`, "entities are marked");
  const marked = await evaluate(`[...document.querySelectorAll('#ner-out mark')].map((m) => m.firstChild.textContent + '/' + m.querySelector('small').textContent)`);
  const want = await evaluate(`fetch('/v1/ner', { method: 'POST', body: JSON.stringify({ model: document.getElementById('ner-model').value,
    text: ${JSON.stringify(text)} }) }).then((r) => r.json()).then((j) => j.entities.map((e) => e.text + '/' + e.type))`);
  check(marked.join(" ") === want.join(" "), `the page marks the server's entities (${marked.join(", ")})`);
  check(await evaluate(`document.getElementById('ner-out').textContent.startsWith(${JSON.stringify(text.split(" ")[0])})`),
    "the text around the entities is kept");
  await screenshot("ner");
}

// a stroke with real mouse events on the drawing pad
async function drawStroke(points) {
  const box = await evaluate(`(() => { const r = document.getElementById('pad').getBoundingClientRect(); return [r.left, r.top]; })()`);
  const at = ([x, y]) => ({ x: box[0] + x, y: box[1] + y, button: "left", clickCount: 1 });
  await cdp("Input.dispatchMouseEvent", { type: "mouseMoved", ...at(points[0]), buttons: 0 });
  await cdp("Input.dispatchMouseEvent", { type: "mousePressed", ...at(points[0]), buttons: 1 });
  for (const p of points.slice(1)) await cdp("Input.dispatchMouseEvent", { type: "mouseMoved", ...at(p), buttons: 1 });
  await cdp("Input.dispatchMouseEvent", { type: "mouseReleased", ...at(points[points.length - 1]), buttons: 0 });
}

async function imageTab() {
  await openTab("image");
  check(await evaluate(visible("image")), "the Image tab is shown");
  const line = (x0, y0, x1, y1) => Array.from({ length: 11 }, (_, i) => [x0 + (x1 - x0) * i / 10, y0 + (y1 - y0) * i / 10]);
  await drawStroke(line(105, 40, 175, 40)); // a pair of trousers: the waist, then two legs
  await drawStroke(line(110, 40, 95, 250));
  await drawStroke(line(170, 40, 185, 250));
  await waitFor(`document.querySelectorAll('#img-bars .bar').length === byTask.classify[0].labels.length`,
    "a probability for every class appears");
  const labels = await evaluate(`[...document.querySelectorAll('#img-bars .name')].map((e) => e.textContent)`);
  const want = await evaluate(`byTask.classify[0].labels`);
  const top = await evaluate(`document.getElementById('img-bars').dataset.label`);
  check(labels.length === want.length && want.every((l) => labels.includes(l)) && labels[0] === top,
    `the checkpoint's labels, most probable first: ${labels.join(", ")}`);
  const lit = await evaluate(`(() => { const d = document.getElementById('small').getContext('2d').getImageData(0, 0, 28, 28).data;
    let n = 0; for (let i = 0; i < d.length; i += 4) n += d[i] > 100; return n; })()`);
  check(lit > 10 && lit < 200, `the 28×28 preview shows the stroke (${lit} bright pixels)`);
  await screenshot("image");
}

async function main() {
  const { targetId } = await send("Target.createTarget", { url: "about:blank" });
  ({ sessionId: session } = await send("Target.attachToTarget", { targetId, flatten: true }));
  await cdp("Runtime.enable");
  await cdp("Page.enable");
  await cdp("Emulation.setDeviceMetricsOverride", { width: 1100, height: 900, deviceScaleFactor: 1, mobile: false });
  await cdp("Page.navigate", { url });
  await waitFor(`document.readyState === 'complete' && document.getElementById('model-list').textContent.includes('(gpt)')`,
    "the page loads and lists the models");
  await generateTab();
  if (process.env.TRANSLATE) await translateTab(process.env.TRANSLATE);
  else await unavailableTab("translate", "no translation model loaded");
  if (process.env.NER) await nerTab(process.env.NER);
  else await unavailableTab("ner", "no NER model loaded");
  await imageTab();
  check(exceptions.length === 0, `no JavaScript exceptions ${exceptions.join("; ")}`);
}

const watchdog = setTimeout(() => { check(false, "the browser test took over 60 s"); finish(); }, 60000);
function finish() {
  clearTimeout(watchdog);
  chrome.kill("SIGKILL");
  try { rmSync(profile, { recursive: true, force: true }); } catch (e) { /* the profile is in /tmp anyway */ }
  if (failures.length) console.log(`chromium stderr:\n${stderr.slice(-2000)}`);
  console.log(failures.length ? `playground: ${failures.length} failed` : "playground: ok");
  process.exit(failures.length ? 1 : 0);
}
chrome.on("error", (e) => { check(false, `cannot start ${browserPath}: ${e.message}`); finish(); });
main().catch((e) => check(false, e.stack)).finally(finish);

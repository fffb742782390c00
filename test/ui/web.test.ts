// UI, web extension host: code-server's workbench runs the extension in its *web worker* extension host (payload
// extensionDevelopmentKind ["web"]), so VS Code loads package.json's "browser" entry, dist/web/extension.js, and the
// forward pass runs in a Web Worker (dist/web/worker.js) — what vscode.dev and github.dev do. The development copy
// of the extension has no "main" and no desktop bundles, so it cannot run in the Node extension host at all. Golden model b (SimpleRNN(5) over T = 10, D = 3 → Dense(2)) is opened: the layer
// tree shows its 45 + 12 parameters, and the forward pass on the input saved beside it gives the output Keras printed
// (../shared/golden/golden.json), not a value this code produced.
// code-server loads a development extension from its server, and VS Code refuses Web Workers to such a "remote"
// extension ("Creating workers from remote extensions is currently not supported"), so here the reading and the run
// fall back to the host's own thread (extension/web/inThreadWorker.ts); the Web Worker itself, dist/web/worker.js,
// is tested in headless Chromium by test/web/browser.test.ts.
// Needs the built bundles (npm run build). Run: node --import tsx --test test/ui/web.test.ts

import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  devPayload, launchBrowser, makeWorkspace, missingPrerequisite, pickQuickItem, repoRoot, runPaletteCommand, screenshot, sharedRoot, sleep,
  startCodeServer, tail, waitForActivation, waitForExplorer, webviewFrame, workbenchUrl, type Browser, type CodeServer, type Workspace,
} from '../vscode/harness';

const MODEL = 'b_simplernn5_tanh.keras';
const golden = JSON.parse(fs.readFileSync(path.join(sharedRoot, 'golden', 'golden.json'), 'utf8')) as { cases: { id: string; keras_output: number[][] }[] };
const kerasOutput = golden.cases.find((c) => c.id === 'b_simplernn5_tanh')!.keras_output.flat();
const shots = process.env.KRI_SHOTS_DIR;

function why(): string | undefined {
  const m = missingPrerequisite();
  if (m) return m;
  for (const f of ['dist/web/extension.js', 'dist/web/worker.js', 'dist/webview.js']) {
    if (!fs.existsSync(path.join(repoRoot, f))) return `${f} is not built: run npm run build first`;
  }
  return undefined;
}
const skip = why();
if (skip) console.log(`# skipped: ${skip}`);

let ws: Workspace | undefined;
let cs: CodeServer | undefined;
let browser: Browser | undefined;
const consoleLines: string[] = [];

/** A copy of the extension as a web-only one: package.json without "main", the web bundles, the webview, media. */
function webOnlyCopy(dir: string): string {
  const ext = path.join(dir, 'web-extension');
  fs.mkdirSync(path.join(ext, 'dist'), { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  delete manifest.main;
  fs.writeFileSync(path.join(ext, 'package.json'), JSON.stringify(manifest, null, 2));
  fs.cpSync(path.join(repoRoot, 'dist', 'web'), path.join(ext, 'dist', 'web'), { recursive: true });
  for (const f of ['webview.js', 'webview.css']) if (fs.existsSync(path.join(repoRoot, 'dist', f))) fs.copyFileSync(path.join(repoRoot, 'dist', f), path.join(ext, 'dist', f));
  fs.cpSync(path.join(repoRoot, 'media'), path.join(ext, 'media'), { recursive: true, dereference: true });
  return ext;
}

before(async () => {
  if (skip) return;
  ws = makeWorkspace();
  const ext = webOnlyCopy(ws.root);
  cs = await startCodeServer({ workspace: ws.dir });
  browser = await launchBrowser();
  const page = browser.page;
  page.setDefaultTimeout(30_000);
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  const payload = [...devPayload(cs, ext), ['extensionDevelopmentKind', '["web"]']] as [string, string][];
  await page.goto(workbenchUrl(cs.base, ws.dir, payload), { timeout: 120_000, waitUntil: 'domcontentloaded' });
  await waitForExplorer(page, 'tesla-simplernn.keras', 90_000);
  const layersHeader = page.locator('.pane-header', { hasText: /Model Layers/i }).first();
  await layersHeader.waitFor({ state: 'visible', timeout: 60_000 });
  if ((await layersHeader.getAttribute('aria-expanded')) !== 'true') await layersHeader.click();
  await waitForActivation(page, /Keras RNN|params?\b/, 90_000);
}, { timeout: 300_000 });

after(async () => {
  await browser?.close();
  await cs?.stop();
  ws?.remove();
  if (cs) fs.rmSync(cs.root, { recursive: true, force: true });
}, { timeout: 60_000 });

async function shot(name: string): Promise<void> {
  const page = browser!.page;
  await screenshot(page, `web/${name}`);
  if (shots) {
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, `${name}.png`) });
  }
}

test('in the web worker extension host: golden b shows 45 + 12 parameters and its forward pass gives Keras\'s output', { skip, timeout: 300_000 }, async () => {
  const page = browser!.page;
  try {
    // Open the model: its custom editor and the layer tree, with the counts.
    await (await waitForExplorer(page, 'samples')).click();
    const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: MODEL }).first();
    await row.waitFor({ state: 'visible' });
    await row.dblclick();
    const tree = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /Model Layers/i }) });
    await tree.locator('.monaco-list-row', { hasText: '57 param' }).first().waitFor({ state: 'visible', timeout: 90_000 });
    const rows = (await tree.locator('.monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
    assert.ok(rows.some((t) => /SimpleRNN/.test(t) && /\b45 param/.test(t)), `a SimpleRNN row with 45 params: ${rows.join(' | ')}`);
    assert.ok(rows.some((t) => /Dense/.test(t) && /\b12 param/.test(t)), `a Dense row with 12 params: ${rows.join(' | ')}`);
    await shot('1-web-host-tree');

    // The forward pass on the input saved beside the model, in a Web Worker.
    await runPaletteCommand(page, 'Run Forward Pass…');
    // With the model's editor active the command asks only for the input; otherwise it asks for the model first.
    const inputStep = page.locator('.quick-input-widget', { hasText: 'Input for' });
    await inputStep.waitFor({ state: 'visible', timeout: 5000 }).catch(() => undefined);
    if (!(await inputStep.isVisible())) await pickQuickItem(page, MODEL, { filter: MODEL });
    await pickQuickItem(page, 'b_simplernn5_tanh.input.json');
    const frame = webviewFrame(page);
    const output = frame.locator('[data-testid="model-output"]').first();
    const stopped = frame.locator('[data-testid="run-stopped"]:visible, [data-testid="error-banner"]:visible').first();
    await output.or(stopped).waitFor({ state: 'visible', timeout: 120_000 });
    if (!(await output.isVisible())) assert.fail(`the run showed no output: "${(await stopped.innerText()).trim()}"`);
    const text = await output.locator('code').innerText();
    const values = (text.match(/-?\d+(\.\d+)?(e-?\d+)?/gi) ?? []).map(Number);
    assert.equal(values.length, kerasOutput.length, `output values in "${text}"`);
    values.forEach((v, i) => assert.ok(Math.abs(v - kerasOutput[i]) <= 1e-6 + 1e-6 * Math.abs(kerasOutput[i]), `output[${i}]: the panel shows ${v}, Keras printed ${kerasOutput[i]}`));
    await output.scrollIntoViewIfNeeded();
    await shot('2-web-host-output');
  } catch (e) {
    await shot('failure');
    console.log(consoleLines.slice(-40).join('\n'));
    console.log(`code-server log:\n${tail(cs!.logFile)}`);
    throw e;
  }
});

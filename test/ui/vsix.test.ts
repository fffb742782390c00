// The package users get: `npm run package` (vsce, which runs vscode:prepublish: the minified build without source
// maps) makes keras-rnn-inspector.vsix; scripts/check-vsix.mjs checks what is inside and the size limits; the .vsix
// is installed with `code-server --install-extension` into a fresh extensions folder; that code-server starts with
// NO development extension path, and opening a sample model shows its layers and counts in the Model Layers tree.
//
// Expected numbers, by hand from golden model b (SimpleRNN(5) over T = 10, D = 3, then Dense(2)):
//   SimpleRNN: D·M + M·M + M = 3·5 + 5·5 + 5 = 45;  Dense: M·K + K = 5·2 + 2 = 12;  total 57.
//
// KRI_VSIX=path uses an existing .vsix instead of packaging (the checks still run on it).

import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  codeServerBin, launchBrowser, makeWorkspace, missingPrerequisite, repoRoot, screenshot, sleep, startCodeServer, tail,
  waitForExplorer, webviewFrame, workbenchUrl, type Browser, type CodeServer, type Workspace,
} from '../vscode/harness';
// @ts-expect-error: a plain .mjs script without types
import { checkVsix, kb, vsixEntries } from '../../scripts/check-vsix.mjs';

const MODEL = 'b_simplernn5_tanh.keras';
const skip = missingPrerequisite();
if (skip) console.log(`# vsix install test skipped: ${skip}`);

let vsix = process.env.KRI_VSIX ? path.resolve(process.env.KRI_VSIX) : '';
let packaged = false;
let scratch = '';
let ws: Workspace | undefined;
let cs: CodeServer | undefined;
let browser: Browser | undefined;

before(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kri-vsix-'));
}, { timeout: 10_000 });

after(async () => {
  await browser?.close();
  await cs?.stop();
  ws?.remove();
  if (cs) fs.rmSync(cs.root, { recursive: true, force: true });
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  // Packaging left the production build in dist/: put the development build (with source maps) back for the tests
  // and `npm start` that follow.
  if (packaged) spawnSync(process.execPath, ['esbuild.mjs'], { cwd: repoRoot, stdio: 'inherit' });
}, { timeout: 120_000 });

test('npm run package builds a minified .vsix within the size limits, holding only what runs', { skip, timeout: 300_000 }, () => {
  if (!vsix) {
    const r = spawnSync('npm', ['run', 'package'], { cwd: repoRoot, encoding: 'utf8', timeout: 280_000 });
    packaged = true;
    const out = `${r.stdout}\n${r.stderr}`;
    assert.equal(r.status, 0, `npm run package failed:\n${out.slice(-3000)}`);
    // vsce runs vscode:prepublish itself; its output names the script.
    assert.match(out, /vscode:prepublish/, `vsce did not run the prepublish script:\n${out.slice(-2000)}`);
    vsix = path.join(repoRoot, 'keras-rnn-inspector.vsix');
  }
  assert.ok(fs.existsSync(vsix), `${vsix} was made`);
  const bytes = fs.readFileSync(vsix);
  const entries = vsixEntries(bytes) as { name: string; stored: number; size: number }[];
  const r = checkVsix(entries, bytes.length);
  console.log(`# code in the .vsix: ${kb(r.codeStored)} stored, ${kb(r.codeSize)} uncompressed; whole .vsix ${kb(r.vsixBytes)}`);
  assert.deepEqual(r.problems, [], r.problems.join('\n'));
  // The bundles are the production build: no source map comment, and minified (long lines).
  for (const name of ['extension/dist/extension.js', 'extension/dist/worker.js', 'extension/dist/webview.js']) {
    const e = entries.find((x) => x.name === name)!;
    assert.ok(e.size > 10_000, `${name} is a real bundle (${e.size} bytes)`);
  }
  if (packaged) {
    for (const f of ['extension.js', 'worker.js', 'webview.js']) {
      const text = fs.readFileSync(path.join(repoRoot, 'dist', f), 'utf8');
      assert.doesNotMatch(text, /sourceMappingURL/, `dist/${f} was built without source maps`);
      // esbuild marks each module with a `// extension/…` comment unless it minifies.
      assert.doesNotMatch(text, /^\s*\/\/ (extension|webview)\//m, `dist/${f} is minified`);
    }
  }
  // Keep a copy: the next test installs it even if a later build rewrites the repo's file.
  const copy = path.join(scratch, 'keras-rnn-inspector.vsix');
  fs.copyFileSync(vsix, copy);
  vsix = copy;
});

test('the .vsix installs into code-server and, without the development path, shows a sample model\'s layers', { skip, timeout: 400_000 }, async () => {
  assert.ok(fs.existsSync(vsix), 'the package test made the .vsix');
  const extensionsDir = path.join(scratch, 'extensions');
  const env = { ...process.env, EXTENSIONS_GALLERY: '{}', XDG_CONFIG_HOME: path.join(scratch, 'xdg-config'), XDG_DATA_HOME: path.join(scratch, 'xdg-data'), XDG_CACHE_HOME: path.join(scratch, 'xdg-cache') };
  const inst = spawnSync(codeServerBin, ['--install-extension', vsix, '--extensions-dir', extensionsDir, '--user-data-dir', path.join(scratch, 'user-data')], { encoding: 'utf8', env, timeout: 120_000 });
  assert.equal(inst.status, 0, `code-server --install-extension failed:\n${inst.stdout}\n${inst.stderr}`);
  const installed = fs.readdirSync(extensionsDir).filter((d) => d.startsWith('keras-rnn-inspector.keras-rnn-inspector-'));
  assert.equal(installed.length, 1, `one installed copy in ${extensionsDir}: ${fs.readdirSync(extensionsDir).join(', ')}`);
  const dir = path.join(extensionsDir, installed[0]);
  assert.ok(fs.existsSync(path.join(dir, 'dist/extension.js')) && !fs.existsSync(path.join(dir, 'dist/cli.js')), 'installed from the package, not the repo');

  ws = makeWorkspace();
  cs = await startCodeServer({ workspace: ws.dir, extensionsDir });
  browser = await launchBrowser();
  const page = browser.page;
  page.setDefaultTimeout(30_000);
  try {
    // No payload: no extensionDevelopmentPath, so the only copy of the extension is the installed one.
    await page.goto(workbenchUrl(cs.base, ws.dir), { timeout: 120_000, waitUntil: 'domcontentloaded' });
    await waitForExplorer(page, 'samples', 90_000);
    // Quick Open the sample: a .keras file opens in the inspector's custom editor, which activates the extension.
    for (let attempt = 0; attempt < 3; attempt++) {
      await page.keyboard.press('Control+P');
      const input = page.locator('.quick-input-widget input');
      if (!(await input.waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false))) continue;
      await input.fill(MODEL);
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: MODEL }).first();
      if (!(await row.waitFor({ state: 'visible', timeout: 15_000 }).then(() => true, () => false))) { await page.keyboard.press('Escape'); continue; }
      await page.keyboard.press('Enter');
      break;
    }
    await page.locator('.tab.active', { hasText: MODEL }).waitFor({ state: 'visible', timeout: 60_000 });
    const frame = webviewFrame(page);
    const params = frame.locator('[data-testid="header-params"]');
    await params.waitFor({ state: 'visible', timeout: 60_000 });
    assert.match(await params.innerText(), /\b57\b/, 'the editor header shows 45 + 12 = 57 parameters');

    // The Model Layers tree in the Explorer follows the active model editor: one row per layer with its count.
    const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /Model Layers/i }) });
    const header = pane.locator('.pane-header').first();
    await header.waitFor({ state: 'visible', timeout: 30_000 });
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
    const rnnRow = pane.locator('.monaco-list-row', { hasText: /SimpleRNN/ }).first();
    const denseRow = pane.locator('.monaco-list-row', { hasText: /Dense/ }).first();
    await rnnRow.waitFor({ state: 'visible', timeout: 60_000 });
    await denseRow.waitFor({ state: 'visible' });
    const rnnText = (await rnnRow.innerText()).replace(/\s+/g, ' ');
    const denseText = (await denseRow.innerText()).replace(/\s+/g, ' ');
    assert.match(rnnText, /\b45 params/, `SimpleRNN row: "${rnnText}"`);
    assert.match(rnnText, /\b5\)/, `the SimpleRNN row shows M = 5 in its output shape: "${rnnText}"`);
    assert.match(denseText, /\b12 params/, `Dense row: "${denseText}"`);
    await page.mouse.move(5, 5);
    await sleep(300);
    await screenshot(page, 'ui/vsix-installed-tree');
  } catch (e) {
    await screenshot(page, 'ui/vsix-failure');
    throw new Error(`${String(e)}\ncode-server log (${cs.logFile}):\n${tail(cs.logFile)}`);
  }
});

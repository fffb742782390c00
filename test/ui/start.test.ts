// `npm start` itself: scripts/start.mjs starts VS Code with the extension in development mode on media/samples and
// prints a URL; that URL opened in the browser shows the samples with the extension active; Ctrl-C (SIGINT) stops
// everything, the port included.

import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import {
  freePort, launchBrowser, pickQuickItem, repoRoot, runPaletteCommand, screenshot, sleep, waitForActivation,
  waitForExplorer, webviewFrame, type Browser,
} from '../vscode/harness';

let child: ChildProcess | undefined;
let browser: Browser | undefined;

after(async () => {
  await browser?.close();
  if (child && child.exitCode === null) { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }
}, { timeout: 60_000 });

const portOpen = (port: number) => new Promise<boolean>((res) => {
  const s = net.connect(port, '127.0.0.1', () => { s.destroy(); res(true); });
  s.on('error', () => res(false));
});

test('npm start prints a URL that opens the samples with the extension active, and Ctrl-C stops it', { timeout: 300_000 }, async () => {
  const port = await freePort();
  // --no-build: `npm test` has just built dist/.
  child = spawn(process.execPath, [path.join(repoRoot, 'scripts/start.mjs'), '--no-build', '--port', String(port)], {
    cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
  const deadline = Date.now() + 120_000;
  let url: string | undefined;
  while (!url && Date.now() < deadline && child.exitCode === null) {
    url = out.match(/^\s*(http:\/\/127\.0\.0\.1:\d+\/\?folder=\S+)$/m)?.[1];
    await sleep(200);
  }
  assert.ok(url, `npm start printed no URL:\n${out}`);
  assert.ok(url.startsWith(`http://127.0.0.1:${port}/`), url);
  assert.match(decodeURIComponent(url), /"extensionDevelopmentPath"/);

  browser = await launchBrowser();
  const page = browser.page;
  await page.goto(url, { timeout: 120_000, waitUntil: 'domcontentloaded' });
  await waitForExplorer(page, 'b_simplernn5_tanh.h5', 90_000);
  await waitForExplorer(page, 'sunspot-rnn.h5');
  // One command to show the extension works there (the command activates it: nothing activates on the workspace's
  // files): Open Sample Model → golden c, 5 parameters (D·M + M·M + M = 1 + 1 + 1 = 3 for SimpleRNN(1) over D = 1,
  // M·K + K = 2 for Dense(1)).
  await runPaletteCommand(page, 'Open Sample Model');
  await pickQuickItem(page, 'c_simplernn1_tanh.keras', { filter: 'c_simplernn1_tanh.keras' });
  const params = webviewFrame(page).locator('[data-testid="header-params"]');
  await params.waitFor({ state: 'visible', timeout: 60_000 });
  assert.match(await params.innerText(), /\b5\b/);
  await waitForActivation(page, /params?\b/, 30_000);
  await page.mouse.move(5, 5);
  await sleep(300);
  await screenshot(page, 'ui/start-1-samples-workspace');
  await browser.close();
  browser = undefined;

  const exited = new Promise<number | null>((res) => child!.on('exit', (c) => res(c)));
  process.kill(child.pid!, 'SIGINT');
  const code = await Promise.race([exited, sleep(20_000).then(() => 'still running' as const)]);
  assert.equal(code, 0, `npm start after Ctrl-C: ${String(code)}\n${out.slice(-2000)}`);
  assert.equal(await portOpen(port), false, `port ${port} still open after Ctrl-C`);
});

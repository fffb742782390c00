// Runs the real VS Code (code-server 4.100.3) offline for tests: an isolated code-server on loopback, headless
// Chromium driven by playwright-core, a throwaway workspace with copies of real model files, and the UI helpers
// the readiness pitfalls call for. Recipe and measurements: ../shared/docs/vscode-offline.md.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type FrameLocator, type Locator, type Page } from 'playwright-core';

// From __filename: under tsx's tsImport (scripts/start.mjs) __dirname is not the file's folder.
export const repoRoot = path.resolve(path.dirname(__filename), '../..');
/** The shared models and docs: ../shared beside the clone, in CI as on a developer machine. */
export const sharedRoot = process.env.KRI_SHARED_DIR ? path.resolve(process.env.KRI_SHARED_DIR) : path.resolve(repoRoot, '../shared');
export const codeServerBin = process.env.CODE_SERVER_BIN
  ? path.resolve(process.env.CODE_SERVER_BIN)
  : path.join(repoRoot, '.cache/vscode-runtime/node_modules/.bin/code-server');
export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const artifactsDir = path.join(repoRoot, 'test-artifacts');
/** The extension's id (publisher.name in package.json). */
export const extensionId = 'keras-rnn-inspector.keras-rnn-inspector';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Why the offline VS Code cannot run here, or undefined when it can. */
export function missingPrerequisite(): string | undefined {
  if (!fs.existsSync(codeServerBin)) return `code-server is not installed at ${codeServerBin}: run scripts/install-code-server.sh`;
  if (!fs.existsSync(chromiumPath)) return `Chromium is not installed at ${chromiumPath}: run apt-get install -y chromium`;
  return undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

function httpStatus(port: number, urlPath: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => { req.destroy(); resolve(0); });
  });
}

function groupAlive(pgid: number): boolean {
  try { process.kill(-pgid, 0); return true; } catch { return false; }
}

// Process groups to kill if the test process ends without stopping them (crash, Ctrl-C, timeout).
const liveGroups = new Set<number>();
let exitHooked = false;
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const pgid of liveGroups) { try { process.kill(-pgid, 'SIGKILL'); } catch { /* already gone */ } }
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => process.exit(sig === 'SIGINT' ? 130 : 143));
  }
}

export interface CodeServer {
  port: number;
  base: string;
  /** Scratch dir holding user data, XDG dirs, TMPDIR and code-server.log. */
  root: string;
  logFile: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export interface StartOptions {
  workspace: string;
  /** Scratch parent (default: os.tmpdir()). */
  scratchParent?: string;
  port?: number;
  host?: string;
  settings?: Record<string, unknown>;
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  /** Echo code-server's output to this process's stdout too (npm start). */
  echo?: boolean;
  /** Extensions folder (default: an empty one in the scratch dir); the .vsix test installs into its own. */
  extensionsDir?: string;
}

/** Starts code-server isolated: loopback only, own XDG dirs and TMPDIR, no gallery, no telemetry, no auth. */
export async function startCodeServer(opts: StartOptions): Promise<CodeServer> {
  hookExit();
  const root = fs.mkdtempSync(path.join(opts.scratchParent ?? os.tmpdir(), 'kri-cs-'));
  const userData = path.join(root, 'user-data');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'update.mode': 'none',
    'security.workspace.trust.enabled': false,
    'git.enabled': false,
    'window.restoreWindows': 'none',
    'chat.commandCenter.enabled': false,
    ...opts.settings,
  }, null, 2));
  const config = path.join(root, 'config.yaml');
  fs.writeFileSync(config, 'auth: none\ncert: false\n');
  const dirs = {
    XDG_CONFIG_HOME: path.join(root, 'xdg-config'),
    XDG_DATA_HOME: path.join(root, 'xdg-data'),
    XDG_CACHE_HOME: path.join(root, 'xdg-cache'),
    TMPDIR: path.join(root, 'tmp'),
  };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  const port = opts.port ?? (await freePort());
  const host = opts.host ?? '127.0.0.1';
  const logFile = path.join(root, 'code-server.log');
  const log = fs.openSync(logFile, 'a');
  const child = spawn(codeServerBin, [
    '--config', config, '--bind-addr', `${host}:${port}`, '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--user-data-dir', userData, '--extensions-dir', opts.extensionsDir ?? path.join(root, 'extensions'),
    opts.workspace,
  ], {
    // EXTENSIONS_GALLERY='{}' stops the Open VSX queries a closed network would refuse.
    env: { ...process.env, EXTENSIONS_GALLERY: '{}', ...dirs, ...opts.env },
    detached: true,
    stdio: ['ignore', opts.echo ? 'pipe' : log, opts.echo ? 'pipe' : log],
  });
  if (opts.echo) {
    for (const s of [child.stdout, child.stderr]) s?.on('data', (b: Buffer) => { fs.writeSync(log, b); process.stdout.write(b); });
  }
  const pgid = child.pid!;
  liveGroups.add(pgid);
  const stop = async () => {
    try { process.kill(-pgid, 'SIGTERM'); } catch { /* gone */ }
    for (let i = 0; i < 50 && groupAlive(pgid); i++) await sleep(100);
    try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ }
    liveGroups.delete(pgid);
    try { fs.closeSync(log); } catch { /* closed */ }
  };
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  while ((await httpStatus(port, '/healthz')) !== 200) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not start (exit ${child.exitCode}); see ${logFile}:\n${tail(logFile)}`);
    }
    await sleep(100);
  }
  return { port, base: `http://${host}:${port}`, root, logFile, child, stop };
}

export function tail(file: string, lines = 30): string {
  try { return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n'); } catch { return ''; }
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Headless Debian Chromium with a fresh profile; its crashpad and cache dirs stay out of $HOME. */
export async function launchBrowser(): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kri-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    env: { ...process.env, XDG_CONFIG_HOME: path.join(profile, 'xdg-config'), XDG_CACHE_HOME: path.join(profile, 'xdg-cache') } as Record<string, string>,
    viewport: { width: 1400, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const close = async () => {
    await context.close().catch(() => undefined);
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, page, close };
}

export type Payload = [string, string][];

/** The workbench URL; payload paths must be vscode-remote:// URIs so the server, not the browser, loads them. */
export function workbenchUrl(base: string, folder: string, payload?: Payload): string {
  let u = `${base}/?folder=${encodeURIComponent(folder)}`;
  if (payload) u += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return u;
}

export function remoteUri(cs: { base: string }, absPath: string): string {
  return `vscode-remote://${new URL(cs.base).host}${absPath}`;
}

/** Payload that loads the extension from source in development mode (plus, optionally, a mocha entry). */
export function devPayload(cs: { base: string }, extensionPath: string, testsIndex?: string): Payload {
  const p: Payload = [['extensionDevelopmentPath', remoteUri(cs, extensionPath)]];
  if (testsIndex) p.push(['extensionTestsPath', remoteUri(cs, testsIndex)]);
  return p;
}

// ---------- the test workspace ----------

/** Real files copied (never linked) into the workspace, so no test can modify a file under ../shared. */
export const workspaceModels = [
  'models/files/tesla-simplernn.keras',
  'models/files/lstm-ae-timedist.keras',
  'models/files/covid-simplernn.h5',
  'models/files/xgboost-not-hdf5.h5',
  'models/files/lfs-pointer.h5',
];
/** Golden case b, copied into samples/ when media/samples does not hold it already. */
const goldenB = ['b_simplernn5_tanh.h5', 'b_simplernn5_tanh.keras', 'b_simplernn5_tanh.input.json'];

export interface Workspace { dir: string; root: string; remove(): void }

/** A temp workspace with copies of media/samples and of a few real models; `extra` writes more files into it. */
export function makeWorkspace(extra?: (dir: string) => void): Workspace {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kri-ws-'));
  const dir = path.join(root, 'models-ws');
  fs.mkdirSync(dir);
  const samples = path.join(repoRoot, 'media/samples');
  if (fs.existsSync(samples)) fs.cpSync(samples, path.join(dir, 'samples'), { recursive: true, dereference: true });
  fs.mkdirSync(path.join(dir, 'samples'), { recursive: true });
  for (const f of goldenB) {
    const dest = path.join(dir, 'samples', f);
    if (!fs.existsSync(dest)) fs.copyFileSync(path.join(sharedRoot, 'golden', f), dest);
  }
  for (const rel of workspaceModels) {
    const src = path.join(sharedRoot, rel);
    if (!fs.existsSync(src)) throw new Error(`missing shared model ${src}: the shared folder must sit beside the clone (../shared)`);
    fs.copyFileSync(src, path.join(dir, path.basename(rel)));
  }
  extra?.(dir);
  return { dir, root, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}

// ---------- driving the workbench ----------

/** Level 2 readiness: the explorer lists a given file of the workspace. */
export async function waitForExplorer(page: Page, fileName: string, timeout = 60_000): Promise<Locator> {
  const row = explorerRow(page, fileName);
  await row.waitFor({ state: 'visible', timeout });
  return row;
}

export function explorerRow(page: Page, fileName: string): Locator {
  return page.locator('.explorer-folders-view .monaco-list-row', { hasText: fileName }).first();
}

/** Level 3 readiness: the status bar item the extension sets in activate(). */
export async function waitForActivation(page: Page, text: RegExp | string = /Keras|RNN/, timeout = 60_000): Promise<Locator> {
  const item = page.locator('.statusbar-item', { hasText: text }).first();
  await item.waitFor({ state: 'visible', timeout });
  return item;
}

/**
 * Runs a command from the palette: F1, type, wait for the focused row holding the label, Enter.
 * On a miss (commands not listed yet, palette lost focus) Escape and retry.
 */
export async function runPaletteCommand(page: Page, label: string, attempts = 4): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      await page.keyboard.press('F1');
      await input.waitFor({ state: 'visible', timeout: 5000 });
      await input.fill(`>${label}`);
      const row = page.locator('.quick-input-list .monaco-list-row.focused', { hasText: label }).first();
      await row.waitFor({ state: 'visible', timeout: 5000 });
      await input.press('Enter');
      return;
    } catch (e) {
      lastError = e;
      await page.keyboard.press('Escape').catch(() => undefined);
      await sleep(500 * (i + 1));
    }
  }
  throw new Error(`palette command "${label}" could not be run after ${attempts} attempts: ${String(lastError)}`);
}

/**
 * Explorer context menu: right-click the file's row, click the entry, and wait until `until` shows the action took
 * effect. A right-click or click can be lost while the workbench settles: Escape and retry.
 */
export async function explorerContextAction(page: Page, fileName: string, entry: RegExp, until: Locator, attempts = 3): Promise<void> {
  const item = page.locator('.context-view .monaco-menu .action-item', { hasText: entry }).first();
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      await explorerRow(page, fileName).click({ button: 'right' });
      await item.waitFor({ state: 'visible', timeout: 5000 });
      await sleep(200); // the menu fades in
      await item.click();
      await until.waitFor({ state: 'visible', timeout: 10_000 });
      return;
    } catch (e) {
      lastError = e;
      await page.keyboard.press('Escape').catch(() => undefined);
      await sleep(500 * (i + 1));
    }
  }
  throw new Error(`explorer context menu "${entry}" on ${fileName} had no effect after ${attempts} attempts: ${String(lastError)}`);
}

/** Picks a quick-pick entry whose row text includes `text` (for commands that ask follow-up questions). */
export async function pickQuickItem(page: Page, text: string, opts: { filter?: string; timeout?: number } = {}): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: opts.timeout ?? 15_000 });
  if (opts.filter !== undefined) await input.fill(opts.filter);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
  await row.waitFor({ state: 'visible', timeout: opts.timeout ?? 15_000 });
  await row.click();
}

/**
 * Answers code-server's simple open dialog with a typed file path. The dialog fills in its own folder suggestion a
 * moment after it opens; typing before that is overwritten, and Enter then opens the folder instead of the file.
 */
export async function answerOpenDialog(page: Page, file: string, timeout = 30_000): Promise<void> {
  const box = page.locator('.quick-input-widget input');
  await box.waitFor({ state: 'visible', timeout });
  const suggested = Date.now() + 10_000;
  while ((await box.inputValue().catch(() => '')) === '' && Date.now() < suggested) await sleep(100);
  for (let attempt = 0; attempt < 4; attempt++) {
    for (let i = 0; i < 5 && (await box.inputValue().catch(() => file)) !== file; i++) {
      await box.fill(file);
      await sleep(300);
    }
    await box.press('Enter');
    // The dialog closes once it accepts the file; if it is still open (it took Enter as "open this folder"), type again.
    const closed = Date.now() + 5000;
    while (Date.now() < closed) {
      if (!(await box.isVisible().catch(() => false))) return;
      await sleep(200);
    }
  }
  throw new Error(`the open dialog did not accept ${file}`);
}

/** The content frame of the visible (last opened) webview: iframe.webview.ready → #active-frame. */
export function webviewFrame(page: Page): FrameLocator {
  return page.locator('iframe.webview.ready:visible').last().contentFrame().locator('#active-frame').contentFrame();
}

/** Saves a full-page screenshot to test-artifacts/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, `${name}.png`);
  await page.screenshot({ path: file }).catch(() => undefined);
  return file;
}

// One real workbench per UI test file: code-server with the extension loaded from source (development mode),
// headless Chromium on it, a temp workspace of copied model files, and readiness waited for in three levels
// (HTTP, explorer lists a file, the extension's status bar item). Screenshots go to test-artifacts/ui/.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import {
  artifactsDir, devPayload, launchBrowser, makeWorkspace, repoRoot, screenshot, startCodeServer, tail,
  waitForActivation, waitForExplorer, workbenchUrl, type Browser, type CodeServer, type Workspace,
} from '../vscode/harness';

/** The extension loaded in development mode: the repo, or KRI_EXT_PATH (a prototype while the manifest is in flux). */
export const extensionPath = process.env.KRI_EXT_PATH ? path.resolve(process.env.KRI_EXT_PATH) : repoRoot;

export interface Workbench {
  page: Page;
  ws: Workspace;
  cs: CodeServer;
  browser: Browser;
  /** Console lines of the page (the workbench's own log included), for failure messages. */
  consoleLines: string[];
  shot(name: string): Promise<string>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** A file the explorer must list before the workbench counts as ready. */
  readyFile: string;
  /** Writes more files into the workspace before VS Code starts. */
  extra?: (dir: string) => void;
  /** Prefix of the screenshot names. */
  name: string;
  /** More user settings (e.g. a shorter hover delay for tooltip tests). */
  settings?: Record<string, unknown>;
}

export async function openWorkbench(opts: OpenOptions): Promise<Workbench> {
  const ws = makeWorkspace(opts.extra);
  const cs = await startCodeServer({ workspace: ws.dir, settings: opts.settings });
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    const page = browser.page;
    const consoleLines: string[] = [];
    page.on('console', (m) => { consoleLines.push(`${m.type()}: ${m.text()}`); if (consoleLines.length > 400) consoleLines.shift(); });
    page.setDefaultTimeout(30_000);
    // A busy 2-core machine can take longer than Playwright's default 30 s to load the workbench.
    await page.goto(workbenchUrl(cs.base, ws.dir, devPayload(cs, extensionPath)), { timeout: 120_000, waitUntil: 'domcontentloaded' });
    await waitForExplorer(page, opts.readyFile, 90_000);
    // The extension activates on its view, commands, editors and Python hovers only (not on the workspace's files):
    // expanding the Model Layers view activates it, as a user opening the view would.
    const layersHeader = page.locator('.pane-header', { hasText: /Model Layers/i }).first();
    await layersHeader.waitFor({ state: 'visible', timeout: 60_000 });
    if ((await layersHeader.getAttribute('aria-expanded')) !== 'true') await layersHeader.click();
    await waitForActivation(page, /Keras RNN|params?\b/, 90_000);
    const b = browser;
    return {
      page, ws, cs, browser: b, consoleLines,
      shot: (name) => screenshot(page, `ui/${opts.name}-${name}`),
      close: async () => {
        await b.close();
        await cs.stop();
        ws.remove();
        fs.rmSync(cs.root, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (browser) await screenshot(browser.page, `ui/${opts.name}-startup-failure`);
    await browser?.close();
    await cs.stop();
    ws.remove();
    throw new Error(`${String(e)}\ncode-server log (${cs.logFile}):\n${tail(cs.logFile)}`);
  }
}

/** Saves the code-server log beside the screenshots when a test failed, so CI keeps it. */
export function keepLog(wb: Workbench | undefined, name: string): void {
  if (!wb) return;
  const dir = path.join(artifactsDir, 'ui');
  fs.mkdirSync(dir, { recursive: true });
  try { fs.copyFileSync(wb.cs.logFile, path.join(dir, `${name}-code-server.log`)); } catch { /* none */ }
  fs.writeFileSync(path.join(dir, `${name}-console.log`), wb.consoleLines.join('\n'));
}

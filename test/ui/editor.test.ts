// UI: the read-only custom editor. A .keras file opens in it by default (double-click in the Explorer) and shows the
// model; a plain HDF5 file that is not a Keras model (written here with h5py), opened with "Open With…" →
// Keras RNN Inspector, gets the clear page that says so and offers to reopen it elsewhere; so does a Git LFS pointer.
//
// Expected numbers by hand: tesla-simplernn.keras = SimpleRNN(50) over D = 1 (1·50 + 50·50 + 50 = 2600) plus
// Dense(1) (50 + 1 = 51): 2651 parameters.

import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { explorerContextAction, explorerRow, pickQuickItem, sleep, webviewFrame } from '../vscode/harness';
import { keepLog, openWorkbench, type Workbench } from './fixture';

const KERAS = 'tesla-simplernn.keras';
const PLAIN = 'plain-data.h5';
let wb: Workbench | undefined;
let failed = false;

/** Writes a small HDF5 file with two datasets and no Keras attributes, with Debian's python3-h5py. */
function writePlainHdf5(dir: string): void {
  const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const script = [
    'import sys, h5py, numpy',
    'with h5py.File(sys.argv[1], "w") as f:',
    '    f.create_dataset("temperature", data=numpy.linspace(10.0, 20.0, 24))',
    '    f.create_group("station").attrs["name"] = "north"',
  ].join('\n');
  try {
    execFileSync(python, ['-c', script, path.join(dir, PLAIN)], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`could not write a plain HDF5 file with ${python} + h5py (apt-get install python3-h5py): ${String((e as { stderr?: Buffer }).stderr ?? e)}`);
  }
}

before(async () => {
  wb = await openWorkbench({ readyFile: KERAS, name: 'editor', extra: writePlainHdf5 });
}, { timeout: 240_000 });

after(async () => {
  if (failed) keepLog(wb, 'editor');
  await wb?.close();
}, { timeout: 60_000 });

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try { return await fn(); } catch (e) { failed = true; await wb!.shot(`failure-${Date.now()}`); throw e; }
}

/** Explorer → right-click → Open With… → Keras RNN Inspector. */
async function openWithInspector(page: Page, file: string): Promise<void> {
  const editorPick = page.locator(`.quick-input-widget input[placeholder*="${file}"]`);
  await explorerContextAction(page, file, /^Open With/, editorPick);
  await pickQuickItem(page, 'Keras RNN Inspector');
}

test('a .keras file opens in the custom editor by default and shows the model', { timeout: 240_000 }, () => guard(async () => {
  const { page } = wb!;
  await explorerRow(page, KERAS).dblclick();
  await page.locator('.tab.active', { hasText: KERAS }).waitFor({ state: 'visible', timeout: 30_000 });
  const frame = webviewFrame(page);
  const file = frame.locator('[data-testid="header-file"]');
  await file.waitFor({ state: 'visible', timeout: 30_000 });
  assert.match(await file.innerText(), /tesla-simplernn\.keras/);
  assert.match(await frame.locator('[data-testid="header-params"]').innerText(), /2,651/);
  // A custom editor, not the text editor: no Monaco text area in the active editor.
  assert.equal(await page.locator('.editor-group-container.active .monaco-editor').count(), 0, 'the .keras file opened in a text editor');
  await page.mouse.move(5, 5);
  await sleep(300);
  await wb!.shot('1-keras-custom-editor');
}));

test('a plain HDF5 file (not Keras) gets the clear page with a way out', { timeout: 240_000 }, () => guard(async () => {
  const { page } = wb!;
  await openWithInspector(page, PLAIN);
  const frame = webviewFrame(page);
  const heading = frame.locator('main.kri-not-model h1');
  await heading.waitFor({ state: 'visible', timeout: 30_000 });
  assert.match(await heading.innerText(), /plain-data\.h5 is not a Keras model/);
  const sentence = (await frame.locator('#kri-error-message').innerText()).trim();
  assert.ok(sentence.length > 20, `one clear sentence saying what is wrong: "${sentence}"`);
  assert.doesNotMatch(sentence, /TypeError|undefined|at .*\(.*:\d+:\d+\)/, `no crash text: "${sentence}"`);
  assert.match(await frame.locator('#kri-reopen').innerText(), /Reopen with another editor/);
  await sleep(300);
  await wb!.shot('2-plain-hdf5-clear-page');
}));

test('a Git LFS pointer saved as .h5 says to run git lfs pull', { timeout: 240_000 }, () => guard(async () => {
  const { page } = wb!;
  await openWithInspector(page, 'lfs-pointer.h5');
  const frame = webviewFrame(page);
  const msg = frame.locator('#kri-error-message');
  await msg.waitFor({ state: 'visible', timeout: 30_000 });
  assert.match(await msg.innerText(), /git lfs pull/i);
  await sleep(300);
  await wb!.shot('3-lfs-pointer-clear-page');
}));

// The host's part of "Compare with Keras": the .npy file dialog (in the model's folder, read through
// vscode.workspace.fs so virtual workspaces work) and the model's conventions. Parsing and comparing happen in the
// webview with the core's compare.ts; the page never names a path.

import * as vscode from 'vscode';
import { COMPARE_LIMITS, conventionsInPlay, type ModelConventions } from './keras/compare';
import { showName } from './keras/safeText';
import type { ModelStore } from './models';

/** The model's folder (any URI scheme), where the dialog starts. */
function folderOf(uri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(uri, '..');
}

/** Asks for a .npy file in the model's folder; its name and bytes (size checked before reading), or null when dismissed. */
export async function pickNpy(model: vscode.Uri): Promise<{ fileName: string; bytes: Uint8Array } | null> {
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: 'Compare',
    title: 'The output of model.predict, saved with np.save',
    filters: { 'NumPy array': ['npy'] },
    defaultUri: folderOf(model),
  });
  const file = picked?.[0];
  if (!file) return null;
  const name = file.path.split('/').pop() ?? 'the file';
  const { size } = await vscode.workspace.fs.stat(file);
  if (size > COMPARE_LIMITS.maxNpyBytes) {
    throw new Error(`${showName(name, 60)} is ${size.toLocaleString('en-US')} bytes, over the ${COMPARE_LIMITS.maxNpyBytes.toLocaleString('en-US')}-byte limit; save a slice of the output.`);
  }
  return { fileName: name, bytes: await vscode.workspace.fs.readFile(file) };
}

/** The conventions that decide this model's output, read from its layers' configs. */
export async function modelConventions(models: ModelStore, model: vscode.Uri): Promise<ModelConventions> {
  const loaded = await models.get(model);
  return conventionsInPlay(await loaded.document());
}

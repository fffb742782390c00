// Typed getters of the extension's settings (validated in settingsSpec.ts: nonsense falls back to the default).
// Read at the moment of use, so a change applies without reloading the window.

import * as vscode from 'vscode';
import { showName } from './keras/safeText';
import { OPEN_H5_DEFAULT, OPEN_H5_KEY, SECTION, SETTINGS, booleanSetting, h5Associations, wholeNumberSetting } from './settingsSpec';

const config = () => vscode.workspace.getConfiguration(SECTION);
const whole = (spec: (typeof SETTINGS)[keyof typeof SETTINGS]) => wholeNumberSetting(config().get<unknown>(spec.key), spec);

/** T for models whose T is None (default 10). */
export const defaultTimeSteps = (): number => whole(SETTINGS.defaultTimeSteps);
/** Seed of the random input fill (default 42). */
export const randomSeed = (): number => whole(SETTINGS.randomSeed);
/** Significant digits shown (default 6). */
export const digits = (): number => whole(SETTINGS.digits);
/** Ask before opening a model above this many MB; 0 never asks (default 200). */
export const askBeforeOpeningMB = (): number => whole(SETTINGS.askBeforeOpeningMB);
/** Memory budget of one forward pass in MB (default 256). */
export const memoryLimitMB = (): number => whole(SETTINGS.memoryLimitMB);
/** Memory a run's kept trace may take in MB before it keeps checkpoints instead (default 512). */
export const traceMemoryLimitMB = (): number => whole(SETTINGS.traceMemoryLimitMB);
/** Whether .h5/.hdf5 open in the inspector by default (default false). */
export const openH5InInspector = (): boolean => booleanSetting(config().get<unknown>(OPEN_H5_KEY), OPEN_H5_DEFAULT);

/** Calls `listener` when one of this extension's settings changes. */
export function onDidChangeSettings(listener: (e: vscode.ConfigurationChangeEvent) => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration(SECTION)) listener(e);
  });
}

/**
 * Applies openH5InInspector to the user's `workbench.editorAssociations` (see h5Associations): only writes when
 * something changes, never overrides the user's own choice for *.h5.
 */
export async function syncH5Association(viewType: string): Promise<void> {
  const workbench = vscode.workspace.getConfiguration('workbench');
  const current = workbench.inspect<unknown>('editorAssociations')?.globalValue;
  const next = h5Associations(current, openH5InInspector(), viewType);
  if (next) await workbench.update('editorAssociations', next, vscode.ConfigurationTarget.Global);
}

/** Asks before opening `uri` when it is above askBeforeOpeningMB (its size from workspace.fs.stat); true: open it. */
export async function confirmLargeModel(uri: vscode.Uri): Promise<boolean> {
  let size: number;
  try {
    size = (await vscode.workspace.fs.stat(uri)).size;
  } catch {
    return true; // reading it says what is wrong, in one sentence
  }
  return mayOpenLargeFile(showName(uri.path.split('/').pop() ?? uri.path), size);
}

/**
 * Asks before opening a file above askBeforeOpeningMB; true when it may be opened. `size` in bytes (from
 * vscode.workspace.fs.stat).
 */
export async function mayOpenLargeFile(name: string, size: number): Promise<boolean> {
  const limit = askBeforeOpeningMB();
  if (limit === 0 || size <= limit * 1024 * 1024) return true;
  const mb = (size / (1024 * 1024)).toFixed(0);
  const open = 'Open anyway';
  const answer = await vscode.window.showWarningMessage(
    `${name} is ${mb} MB, above the ${limit} MB set in kerasRnnInspector.askBeforeOpeningMB. Reading it takes time and memory.`,
    { modal: true },
    open,
  );
  return answer === open;
}

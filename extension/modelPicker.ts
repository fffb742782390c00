// Choosing a model file and an input: from command arguments (tests, menus), the active editor, or prompts.

import * as vscode from 'vscode';
import { defaultTimeSteps, randomSeed } from './settings';
import * as path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { formatBytes } from './keras/limits';
import { InputError, describeThrown } from './keras/errors';
import { parseCsv, parseInputText, parseWindow, describeExpected, type InputSpec as ModelInputSpec } from './keras/inputs';
import { MODEL_GLOB, isModelPath } from './models';
import { plainText, showName } from './keras/safeText';
import { oneSentence } from './keras/errors';

/** A file name or a CSV header as a quick pick label: visible controls, cut, and no `$(icon)` rendering. */
function pickLabel(s: string, max?: number): string {
  return showName(s, max).replace(/\$\(/g, '$\u200b(');
}
import type { InputChoice } from './protocol';

/** The largest input file (CSV, JSON) the host reads whole to offer its columns or send it to the panel. */
export const MAX_INPUT_FILE_BYTES = 64 * 1024 * 1024;

/**
 * The text of an input file the user chose, after checking it is a regular file of a bounded size (a symlink to
 * /dev/zero or a 2 GB CSV gets one sentence instead of filling the extension host's memory).
 */
export async function readInputText(fsPath: string): Promise<string> {
  const name = showName(path.basename(fsPath));
  let info;
  try {
    info = await stat(fsPath);
  } catch (e) {
    throw new InputError(`The input file ${name} cannot be read (${(e as NodeJS.ErrnoException).code ?? describeThrown(e)}).`);
  }
  if (!info.isFile()) throw new InputError(`The input file ${name} is not a regular file; choose a CSV or JSON file.`);
  if (info.size > MAX_INPUT_FILE_BYTES) {
    throw new InputError(`The input file ${name} is ${formatBytes(info.size)}, over the ${formatBytes(MAX_INPUT_FILE_BYTES)} the panel reads; cut it to the rows you need.`);
  }
  return readFile(fsPath, 'utf8');
}

/** A URI from a command argument: a Uri, a URI string or an absolute path. */
export function toUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (arg && typeof arg === 'object' && 'scheme' in arg && 'path' in arg) return vscode.Uri.from(arg as vscode.Uri);
  if (typeof arg === 'string' && arg.length > 0) {
    return /^[a-z][a-z0-9+.-]+:/i.test(arg) && !/^[a-z]:[\\/]/i.test(arg) ? vscode.Uri.parse(arg) : vscode.Uri.file(arg);
  }
  return undefined;
}

/** The model the user is looking at: the active model editor, or a text editor on a model file. */
export function activeModelUri(activeEditorUri: vscode.Uri | undefined): vscode.Uri | undefined {
  if (activeEditorUri) return activeEditorUri;
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
  const input = tab?.input;
  if (input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText) {
    if (isModelPath(input.uri.path)) return input.uri;
  }
  return undefined;
}

/** Quick pick of the workspace's model files (and the samples). Undefined when dismissed. */
export async function pickModelFile(samplesDir: vscode.Uri, title: string): Promise<vscode.Uri | undefined> {
  const found = await vscode.workspace.findFiles(MODEL_GLOB, '**/{node_modules,.git}/**', 500);
  found.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  type Item = vscode.QuickPickItem & { uri?: vscode.Uri; browse?: boolean };
  const items: Item[] = found.map((uri) => ({
    label: pickLabel(path.basename(uri.fsPath)),
    description: pickLabel(vscode.workspace.asRelativePath(path.dirname(uri.fsPath)), 120),
    uri,
  }));
  if (items.length > 0) items.unshift({ label: 'Workspace', kind: vscode.QuickPickItemKind.Separator });
  items.push({ label: 'Samples', kind: vscode.QuickPickItemKind.Separator });
  for (const s of sampleFiles(samplesDir)) {
    items.push({ label: s.label, description: s.description, uri: s.uri });
  }
  items.push({ label: '$(folder-opened) Browse…', description: 'choose a .h5 / .keras file', browse: true });
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder: 'Choose a Keras model file', matchOnDescription: true });
  if (!picked) return undefined;
  if (picked.browse) {
    const chosen = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Keras models': ['h5', 'keras', 'hdf5'] }, openLabel: 'Inspect' });
    return chosen?.[0];
  }
  return picked.uri;
}

export interface SampleFile {
  label: string;
  description: string;
  uri: vscode.Uri;
  /** `<stem>.input.json` beside it (the golden input), if any. */
  inputFile?: vscode.Uri;
}

const LAYOUT: Record<string, string> = { '.h5': 'Keras 2 .h5', '.keras': 'Keras 3 .keras', '.k3.h5': 'Keras 3 legacy .h5' };

/** One entry of media/samples/samples.json: a model saved in one or more layouts, and what it is. */
interface SampleEntry {
  stem: string;
  layouts: string[];
  description: string;
}

/** The catalog beside the samples; an unreadable one offers no samples rather than failing the command. */
function sampleCatalog(samplesDir: vscode.Uri): SampleEntry[] {
  try {
    const parsed: unknown = JSON.parse(readFileSync(vscode.Uri.joinPath(samplesDir, 'samples.json').fsPath, 'utf8'));
    const list = (parsed as { samples?: unknown }).samples;
    if (!Array.isArray(list)) return [];
    return list.filter(
      (e): e is SampleEntry =>
        typeof e?.stem === 'string' && typeof e.description === 'string' && Array.isArray(e.layouts) && e.layouts.every((x: unknown) => typeof x === 'string'),
    );
  } catch {
    return [];
  }
}

/** The models shipped under media/samples, with a description each (from samples.json). */
export function sampleFiles(samplesDir: vscode.Uri): SampleFile[] {
  const out: SampleFile[] = [];
  for (const { stem, layouts, description } of sampleCatalog(samplesDir)) {
    for (const ext of layouts) {
      const uri = vscode.Uri.joinPath(samplesDir, stem + ext);
      if (!existsSync(uri.fsPath)) continue;
      const input = vscode.Uri.joinPath(samplesDir, `${stem}.input.json`);
      // A sample saved in several layouts says which one each file is.
      const which = layouts.length > 1 ? ` (${LAYOUT[ext] ?? ext})` : '';
      out.push({ label: stem + ext, description: description + which, uri, ...(existsSync(input.fsPath) ? { inputFile: input } : {}) });
    }
  }
  return out;
}

/** `<stem>.input.json` beside a model (the samples ship their golden input that way). */
export function inputFileBeside(model: vscode.Uri): vscode.Uri | undefined {
  const stem = path.basename(model.fsPath).replace(/(\.k3)?(\.weights)?\.(h5|keras|hdf5)$/i, '');
  const candidate = vscode.Uri.file(path.join(path.dirname(model.fsPath), `${stem}.input.json`));
  return existsSync(candidate.fsPath) ? candidate : undefined;
}

const positiveInt = (label: string) => (v: string) => (/^\s*[1-9]\d*\s*$/.test(v) ? undefined : `${label} must be a positive whole number.`);

async function askT(spec: ModelInputSpec | undefined, fallback = defaultTimeSteps()): Promise<number | undefined> {
  const v = await vscode.window.showInputBox({
    title: 'Time steps T',
    prompt: `The model leaves T free${spec ? ` (${showName(describeExpected(spec), 200)})` : ''}: how many time steps?`,
    value: String(fallback),
    validateInput: positiveInt('T'),
  });
  return v === undefined ? undefined : Number(v);
}

/**
 * Asks which input to run (zeros, ramp, seeded random, typed values, CSV file, the golden input beside the model).
 * `specs` are the model's inputs; T is asked where the model's T is None. Undefined when the user backs out.
 */
export async function pickInput(model: vscode.Uri, specs: ModelInputSpec[], samplesDir: vscode.Uri): Promise<InputChoice | undefined> {
  const freeT = specs.some((s) => s.shape.length >= 2 && s.shape[1] === null);
  const tNote = freeT ? ' (you choose T)' : '';
  type Item = vscode.QuickPickItem & { kind2: InputChoice['kind'] | 'beside' };
  const items: Item[] = [
    { label: '$(circle-outline) Zeros', description: `all inputs 0${tNote}`, kind2: 'zeros' },
    { label: '$(graph-line) Ramp 1..T', description: `x = [1, 2, 3, …] like the notebooks${tNote}`, kind2: 'ramp' },
    { label: '$(symbol-event) Seeded random…', description: `standard normal values from a seed${tNote}`, kind2: 'random' },
    { label: '$(edit) Type values…', description: 'a JSON or NumPy-style list, N×T×D, T×D or T', kind2: 'text' },
    { label: '$(file) CSV file…', description: 'a column and a window of a series (rows are time steps)', kind2: 'csv' },
  ];
  const beside = inputFileBeside(model);
  if (beside) items.unshift({ label: `$(beaker) ${pickLabel(path.basename(beside.fsPath))}`, description: 'the input saved beside this model', kind2: 'beside' });
  const picked = await vscode.window.showQuickPick(items, { title: `Input for ${showName(path.basename(model.fsPath))}`, placeHolder: showName(specs.map((s) => describeExpected(s)).join('; '), 200) });
  if (!picked) return undefined;
  const spec = specs[0];
  switch (picked.kind2) {
    case 'beside':
      try {
        return { kind: 'text', text: await readInputText(beside!.fsPath) };
      } catch (e) {
        void vscode.window.showErrorMessage(plainText(oneSentence(describeThrown(e))));
        return undefined;
      }
    case 'zeros':
    case 'ramp': {
      const t = freeT ? await askT(spec) : undefined;
      if (freeT && t === undefined) return undefined;
      return { kind: picked.kind2, ...(t !== undefined ? { t } : {}) };
    }
    case 'random': {
      const seed = await vscode.window.showInputBox({ title: 'Seed', prompt: 'The same seed always gives the same numbers.', value: String(randomSeed()), validateInput: (v) => (/^\s*\d+\s*$/.test(v) ? undefined : 'The seed must be a whole number ≥ 0.') });
      if (seed === undefined) return undefined;
      const t = freeT ? await askT(spec) : undefined;
      if (freeT && t === undefined) return undefined;
      return { kind: 'random', seed: Number(seed), ...(t !== undefined ? { t } : {}) };
    }
    case 'text': {
      const text = await vscode.window.showInputBox({
        title: 'Input values',
        prompt: `JSON or NumPy-style list; expected ${showName(specs.map((s) => describeExpected(s)).join('; '), 200)}`,
        placeHolder: '[[1], [2], [3]]',
        validateInput: (v) => {
          if (v.trim() === '') return 'Type the values, e.g. [[1], [2], [3]].';
          try {
            parseInputText(v);
            return undefined;
          } catch (e) {
            return oneSentence(e instanceof InputError ? e.message : describeThrown(e));
          }
        },
      });
      if (text === undefined) return undefined;
      return { kind: 'text', text };
    }
    case 'csv': {
      // The samples ship their series beside the model (sunspot-rnn.h5 + sunspots-data.csv): start there.
      const chosen = await vscode.window.showOpenDialog({
        canSelectMany: false,
        openLabel: 'Use as input',
        filters: { 'CSV / text series': ['csv', 'tsv', 'txt', 'dat'] },
        defaultUri: vscode.Uri.file(path.dirname(model.fsPath)),
      });
      if (!chosen?.[0]) return undefined;
      return pickCsvWindow(chosen[0].fsPath);
    }
    case 'tensors':
      return undefined;
  }
}

/** Column and window of a CSV series, asked with the file's own columns and row count. */
export async function pickCsvWindow(csvPath: string): Promise<InputChoice | undefined> {
  let parsed: ReturnType<typeof parseCsv>;
  try {
    parsed = parseCsv(await readInputText(csvPath));
  } catch (e) {
    void vscode.window.showErrorMessage(plainText(oneSentence(describeThrown(e))));
    return undefined;
  }
  const rows = parsed.array.shape[0];
  const width = parsed.array.shape[1];
  const columnItems = parsed.columns.map((name, i) => {
    const preview: string[] = [];
    for (let r = 0; r < Math.min(4, rows); r++) preview.push(String(parsed.array.data[r * width + i]));
    return { label: /^\d+$/.test(name) ? `column ${name}` : pickLabel(name), description: `${preview.join(', ')}, …`, index: i };
  });
  const col = columnItems.length === 1 ? columnItems[0] : await vscode.window.showQuickPick(columnItems, { title: `Column of ${showName(path.basename(csvPath))} (${rows} rows)`, placeHolder: 'Which column is the series?' });
  if (!col) return undefined;
  const win = await vscode.window.showInputBox({
    title: 'Window',
    prompt: `Rows to use as the T time steps: LEN, or LEN@START (START 0-based, negative counts from the end; ${rows} rows)`,
    value: `${Math.min(60, rows)}@-${Math.min(60, rows)}`,
    validateInput: (v) => {
      try {
        const w = parseWindow(v);
        const start = w.start ?? 0;
        const s = start < 0 ? rows + start : start;
        if (w.length <= 0) return 'The window length must be positive.';
        if (s < 0 || s + w.length > rows) return `That window does not fit in the ${rows} rows.`;
        return undefined;
      } catch (e) {
        return describeThrown(e);
      }
    },
  });
  if (win === undefined) return undefined;
  const w = parseWindow(win);
  const column = parsed.columns[col.index];
  return { kind: 'csv', path: csvPath, column: /^\d+$/.test(column) ? Number(column) : column, window: w.length, ...(w.start !== undefined ? { start: w.start } : {}) };
}

// Choosing a model file and an input: from command arguments (tests, menus), the active editor, or prompts.
// Files are URIs read through workspace.fs (hostFiles.ts): the samples, the golden input beside a model, a CSV.

import * as vscode from 'vscode';
import { defaultTimeSteps, randomSeed } from './settings';
import { InputError, describeThrown } from './keras/errors';
import { readTextFile, uriBaseName, uriDirname, uriFromString } from './hostFiles';
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
 * The text of an input file the user chose (a URI, or a URI string / local path), after checking by its stat that it
 * is a file of a bounded size (a device or a 2 GB CSV gets one sentence instead of filling the host's memory).
 */
export async function readInputText(file: vscode.Uri | string): Promise<string> {
  const uri = typeof file === 'string' ? uriFromString(file) : file;
  return readTextFile(uri, MAX_INPUT_FILE_BYTES, 'The input file', 'choose a CSV or JSON file of the rows you need');
}

/** How an input file travels in an InputChoice's `path`: a local path for `file:`, else the URI string. */
export function uriArg(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? uri.fsPath : uri.toString();
}

/** A URI from a command argument: a Uri, a URI string or an absolute path. */
export function toUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (arg && typeof arg === 'object' && 'scheme' in arg && 'path' in arg) return vscode.Uri.from(arg as vscode.Uri);
  if (typeof arg === 'string' && arg.length > 0) return uriFromString(arg);
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
  found.sort((a, b) => a.toString().localeCompare(b.toString()));
  type Item = vscode.QuickPickItem & { uri?: vscode.Uri; browse?: boolean };
  const items: Item[] = found.map((uri) => ({
    label: pickLabel(uriBaseName(uri)),
    description: pickLabel(vscode.workspace.asRelativePath(uriDirname(uri)), 120),
    uri,
  }));
  if (items.length > 0) items.unshift({ label: 'Workspace', kind: vscode.QuickPickItemKind.Separator });
  items.push({ label: 'Samples', kind: vscode.QuickPickItemKind.Separator });
  for (const s of await sampleFiles(samplesDir)) {
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
async function sampleCatalog(samplesDir: vscode.Uri): Promise<SampleEntry[]> {
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(samplesDir, 'samples.json'))));
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
export async function sampleFiles(samplesDir: vscode.Uri): Promise<SampleFile[]> {
  const out: SampleFile[] = [];
  // One listing of the folder (workspace.fs: the extension may live on a remote or web file system).
  let present: Set<string>;
  try {
    present = new Set((await vscode.workspace.fs.readDirectory(samplesDir)).map(([n]) => n));
  } catch {
    return out;
  }
  const listed = (u: vscode.Uri) => present.has(uriBaseName(u));
  for (const { stem, layouts, description } of await sampleCatalog(samplesDir)) {
    for (const ext of layouts) {
      const uri = vscode.Uri.joinPath(samplesDir, stem + ext);
      if (!listed(uri)) continue;
      const input = vscode.Uri.joinPath(samplesDir, `${stem}.input.json`);
      // A sample saved in several layouts says which one each file is.
      const which = layouts.length > 1 ? ` (${LAYOUT[ext] ?? ext})` : '';
      out.push({ label: stem + ext, description: description + which, uri, ...(listed(input) ? { inputFile: input } : {}) });
    }
  }
  return out;
}

/** `<stem>.input.json` beside a model (the samples ship their golden input that way). */
export async function inputFileBeside(model: vscode.Uri): Promise<vscode.Uri | undefined> {
  const stem = uriBaseName(model).replace(/(\.k3)?(\.weights)?\.(h5|keras|hdf5)$/i, '');
  const candidate = vscode.Uri.joinPath(uriDirname(model), `${stem}.input.json`);
  try {
    const st = await vscode.workspace.fs.stat(candidate);
    return st.type & vscode.FileType.File ? candidate : undefined;
  } catch {
    return undefined;
  }
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
  const beside = await inputFileBeside(model);
  if (beside) items.unshift({ label: `$(beaker) ${pickLabel(uriBaseName(beside))}`, description: 'the input saved beside this model', kind2: 'beside' });
  const picked = await vscode.window.showQuickPick(items, { title: `Input for ${showName(uriBaseName(model))}`, placeHolder: showName(specs.map((s) => describeExpected(s)).join('; '), 200) });
  if (!picked) return undefined;
  const spec = specs[0];
  switch (picked.kind2) {
    case 'beside':
      try {
        return { kind: 'text', text: await readInputText(beside!) };
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
        defaultUri: uriDirname(model),
      });
      if (!chosen?.[0]) return undefined;
      return pickCsvWindow(chosen[0]);
    }
    case 'tensors':
      return undefined;
  }
}

/** Column and window of a CSV series, asked with the file's own columns and row count. */
export async function pickCsvWindow(csv: vscode.Uri | string): Promise<InputChoice | undefined> {
  const csvUri = typeof csv === 'string' ? uriFromString(csv) : csv;
  let parsed: ReturnType<typeof parseCsv>;
  try {
    parsed = parseCsv(await readInputText(csvUri));
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
  const col = columnItems.length === 1 ? columnItems[0] : await vscode.window.showQuickPick(columnItems, { title: `Column of ${showName(uriBaseName(csvUri))} (${rows} rows)`, placeHolder: 'Which column is the series?' });
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
  return { kind: 'csv', path: uriArg(csvUri), column: /^\d+$/.test(column) ? Number(column) : column, window: w.length, ...(w.start !== undefined ? { start: w.start } : {}) };
}

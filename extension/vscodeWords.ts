// The core's sentences are shared with the CLI and name its flags (--config, --window, --column). In VS Code the same
// advice is a button or a field: this rewrites a sentence for the extension's pages, notifications and tree.
// No `vscode` import: the webview uses it too.

const REWRITES: [RegExp, string][] = [
  [/give its architecture JSON \(model\.to_json\(\)\) with --config \S+/g, 'choose its architecture JSON (model.to_json()) with "Choose architecture JSON…"'],
  [/and give this file with --config\.?/g, 'and choose this file with "Choose architecture JSON…".'],
  [/cut a window of rows with --window and pick columns with --column/g, 'load it with "Load CSV…" and choose a window of rows and the columns there'],
  [/or cut it with --window and --column/g, 'or load a CSV with "Load CSV…" and choose a window of rows there'],
  [/pick the feature columns with --column/g, 'choose the feature columns in "Load CSV…"'],
  [/--column and --window cut/g, 'A column and a window cut'],
  [/give the file --state-out wrote/g, 'give a state file this inspector saved'],
  [/raise --memory-limit/g, 'raise kerasRnnInspector.memoryLimitMB'],
  [/--memory-limit/g, 'kerasRnnInspector.memoryLimitMB'],
  [/with --T\b/g, 'with the T field'],
];

/** The sentence with every CLI flag replaced by what the user does in VS Code. */
export function inVsCodeWords(sentence: string): string {
  let s = sentence;
  for (const [re, by] of REWRITES) s = s.replace(re, by);
  return s;
}

// Hover on Keras layer calls in Python files and notebook cells: the parameter formula, with the count
// where the code gives the input size (the text comes from hovers.ts, the formula from the layer modules, the
// input from the layers before it in the file or in the notebook's earlier cells: keras/pythonModel.ts).

import * as vscode from 'vscode';
import { findCallAt } from './keras/pythonCall';
import { MAX_CHAIN_TEXT, chainInputs, type ChainInput } from './keras/pythonModel';
import { pythonHover } from './hovers';

/** The text of the code cells above `document` in its notebook, in order (empty for a plain file). */
export function cellsAbove(document: vscode.TextDocument): string {
  if (document.uri.scheme !== 'vscode-notebook-cell') return '';
  const key = document.uri.toString();
  for (const nb of vscode.workspace.notebookDocuments) {
    const cells = nb.getCells();
    const at = cells.findIndex((c) => c.document.uri.toString() === key);
    if (at < 0) continue;
    const parts: string[] = [];
    let size = 0;
    // Nearest cells first, so a huge notebook is read only as far back as the chain's limit.
    for (let i = at - 1; i >= 0 && size < MAX_CHAIN_TEXT; i--) {
      const c = cells[i];
      if (c.kind !== vscode.NotebookCellKind.Code || c.document.languageId !== document.languageId) continue;
      const text = c.document.getText();
      parts.unshift(text);
      size += text.length + 1;
    }
    return parts.map((p) => `${p}\n`).join('');
  }
  return '';
}

// The last code read and what it gave: moving the mouse along one line asks again for the same text.
let lastChains: { text: string; chains: Map<number, ChainInput> } | undefined;

function chainsOf(text: string): Map<number, ChainInput> {
  if (lastChains?.text !== text) lastChains = { text, chains: chainInputs(text) };
  return lastChains.chains;
}

/** Characters after the hovered call still read for its later application. */
const AFTER = 20_000;

export class PythonLayerHoverProvider implements vscode.HoverProvider {
  provideHover(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): vscode.Hover | undefined {
    const range = document.getWordRangeAtPosition(position);
    if (!range || token.isCancellationRequested) return undefined;
    const text = document.getText();
    const offset = document.offsetAt(position);
    const call = findCallAt(text, offset);
    if (!call) return undefined;
    // Only on the layer's name, so hovers on argument values (variables, numbers) stay the language server's.
    if (offset < call.nameStart || offset > call.nameEnd) return undefined;
    // The code before the call (earlier cells first) tells what flows into it; a little after it too, where a layer
    // object made here is applied later (`rnn = LSTM(8)` … `y = rnn(x)`).
    const above = cellsAbove(document);
    const before = above + text.slice(0, call.end + AFTER);
    const chain = chainsOf(before).get(above.length + call.nameStart) ?? null;
    const hover = pythonHover(call, chain);
    if (!hover) return undefined;
    // Untrusted: the source may come from a stranger's notebook; names in it are escaped by hovers.ts.
    const md = new vscode.MarkdownString(hover.markdown, false);
    md.isTrusted = false;
    md.supportHtml = false;
    return new vscode.Hover(md, new vscode.Range(document.positionAt(call.nameStart), document.positionAt(call.nameEnd)));
  }
}

/** Python source files and notebook cells (the language is what matters, not the scheme). */
export const PYTHON_SELECTOR: vscode.DocumentSelector = [{ language: 'python' }];

// Hover on Keras layer calls in Python files and notebook cells: the parameter formula, with the count
// where the arguments give the input size (the text comes from hovers.ts, the formula from the layer modules).

import * as vscode from 'vscode';
import { findCallAt } from './keras/pythonCall';
import { pythonHover } from './hovers';

export class PythonLayerHoverProvider implements vscode.HoverProvider {
  provideHover(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): vscode.Hover | undefined {
    const range = document.getWordRangeAtPosition(position);
    if (!range || token.isCancellationRequested) return undefined;
    const text = document.getText();
    const call = findCallAt(text, document.offsetAt(position));
    if (!call) return undefined;
    // Only on the layer's name, so hovers on argument values (variables, numbers) stay the language server's.
    const offset = document.offsetAt(position);
    if (offset < call.nameStart || offset > call.nameEnd) return undefined;
    const hover = pythonHover(call);
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

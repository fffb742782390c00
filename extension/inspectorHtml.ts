// The inspector's pages: the webview bundle's host page and the page for a file that is not a Keras model, each
// under a strict CSP (no remote content, nonce'd scripts). Names from the file are escaped.

import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { oneSentence } from './keras/errors';
import { showName } from './keras/safeText';
import type { WebviewMessage } from './protocol';

/** The not-a-model page's two buttons, typed by the protocol the host validates them with. */
const REOPEN_WITH: WebviewMessage = { type: 'reopenWith' };
const CHOOSE_ARCHITECTURE: WebviewMessage = { type: 'chooseArchitecture' };

function nonce(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < 32; i++) s += chars[Math.floor(Math.random() * chars.length)];
  return s;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Webview options: scripts on, and only dist/ and media/ readable. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

function csp(webview: vscode.Webview, n: string): string {
  // No remote content at all: everything comes from the extension's own dist/ and media/.
  return [
    "default-src 'none'",
    `img-src ${webview.cspSource} data: blob:`,
    `style-src ${webview.cspSource} 'nonce-${n}'`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${n}'`,
  ].join('; ');
}

/** The inspector page: the webview bundle (dist/webview.js) plus the shared stylesheet. */
export function inspectorHtml(webview: vscode.Webview, extensionUri: vscode.Uri, host: 'panel' | 'editor'): string {
  const n = nonce();
  const asset = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...p)).toString();
  const bundle = path.join(extensionUri.fsPath, 'dist', 'webview.js');
  const bundleCss = path.join(extensionUri.fsPath, 'dist', 'webview.css');
  const missing = !existsSync(bundle);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp(webview, n)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${n}" href="${asset('media', 'inspector.css')}">
${existsSync(bundleCss) ? `<link rel="stylesheet" nonce="${n}" href="${asset('dist', 'webview.css')}">` : ''}
<title>Keras RNN Inspector</title>
</head>
<body data-host="${host}">
<div id="app"><p class="kri-loading">${missing ? 'The inspector UI is not built (dist/webview.js is missing): run <code>npm run build</code>.' : 'Loading the model…'}</p></div>
${missing ? '' : `<script nonce="${n}" src="${asset('dist', 'webview.js')}"></script>`}
</body>
</html>`;
}

/** The page for a file that is not a Keras model: the core's sentence and a button to reopen it elsewhere. */
export function notAModelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, fileName: string, message: string, canChooseArchitecture = false): string {
  const n = nonce();
  const css = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'inspector.css')).toString();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp(webview, n)}">
<link rel="stylesheet" nonce="${n}" href="${css}">
<title>Not a Keras model</title>
</head>
<body>
<main class="kri-not-model" role="alert">
<h1>${escapeHtml(showName(fileName))} is not a Keras model this inspector can read</h1>
<p id="kri-error-message">${escapeHtml(oneSentence(message))}</p>
<p>${canChooseArchitecture ? '<button id="kri-arch" class="kri-button" autofocus>Choose architecture JSON…</button> ' : ''}<button id="kri-reopen" class="kri-button"${canChooseArchitecture ? '' : ' autofocus'}>Reopen with another editor</button></p>
</main>
<script nonce="${n}">
const vscode = acquireVsCodeApi();
document.getElementById('kri-reopen').addEventListener('click', () => vscode.postMessage(${JSON.stringify(REOPEN_WITH)}));
const arch = document.getElementById('kri-arch');
if (arch) arch.addEventListener('click', () => vscode.postMessage(${JSON.stringify(CHOOSE_ARCHITECTURE)}));
</script>
</body>
</html>`;
}

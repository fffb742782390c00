// The web extension host entry (dist/web/extension.js, package.json "browser"): vscode.dev, github.dev and VS Code
// for the Web. It runs the desktop host code itself (commands, tree, custom editor, panel, hovers), which reads files
// through vscode.workspace.fs; the build aliases the few Node modules that code names (scripts/web-builds.mjs) to
// this folder: workers are Web Workers running dist/web/worker.js (workerThreads.ts), paths are POSIX (path.ts), and
// only the extension's own bundles "exist" on a local disk (fs.ts).

import * as vscode from 'vscode';
import { activate as activateHost, type ExtensionApi } from '../extension';
import { setPackagedFiles } from './fs';
import { join } from './path';
import { setWorkerScript } from './workerThreads';

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  setWorkerScript(vscode.Uri.joinPath(context.extensionUri, 'dist', 'web', 'worker.js').toString(true), (reason) =>
    // Said once, in the extension's output channel's place in the host log: runs work, on the host's thread.
    console.warn(`Keras RNN Inspector: Web Workers are not available here (${reason}); models are read and run on the extension host's thread.`),
  );
  // The paths the host code checks, built as it builds them (extensionPath is extensionUri's path in the web host).
  const root = context.extensionPath ?? context.extensionUri.path;
  setPackagedFiles([join(root, 'dist', 'worker.js'), join(root, 'dist', 'webview.js'), join(context.extensionUri.fsPath, 'dist', 'webview.js')]);
  return activateHost(context);
}

export { deactivate } from '../extension';

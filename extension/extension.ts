// activate(): wires the model store, tree, custom editor, panels, commands, Python hover and status bar.
// Nothing else happens here; each piece lives in its own module.

import * as vscode from 'vscode';
import * as path from 'node:path';
import { ModelStore } from './models';
import { LayerTreeProvider, LAYERS_VIEW_ID } from './layerTree';
import { InspectorPanels, PANEL_VIEW_TYPE } from './inspectorPanel';
import type { SessionDeps } from './inspectorSession';
import { EDITOR_VIEW_TYPE, EDITOR_VIEW_TYPE_H5, ModelEditorProvider } from './modelEditor';
import { registerCommands, COMMANDS } from './commands';
import { PythonLayerHoverProvider, PYTHON_SELECTOR } from './pythonHover';
import { paramsLabel } from './hovers';
import { showName } from './keras/safeText';

/** What activate() returns: the pieces tests inspect. */
export interface ExtensionApi {
  models: ModelStore;
  layerTree: LayerTreeProvider;
  treeView: vscode.TreeView<import('./layerTree').LayerTreeNode>;
  panels: InspectorPanels;
  editors: ModelEditorProvider;
  statusBar: vscode.StatusBarItem;
  hover: PythonLayerHoverProvider;
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const log = vscode.window.createOutputChannel('Keras RNN Inspector', { log: true });
  // Untrusted files are read in a worker thread (dist/summaryWorker.js), never on the extension host.
  const models = new ModelStore(log, path.join(context.extensionPath, 'dist', 'summaryWorker.js'));
  const deps: SessionDeps = {
    extensionUri: context.extensionUri,
    models,
    log,
    workerPath: path.join(context.extensionPath, 'dist', 'forwardWorker.js'),
  };
  const panels = new InspectorPanels(deps);
  const editors = new ModelEditorProvider(deps);
  const layerTree = new LayerTreeProvider(models);
  const treeView = vscode.window.createTreeView(LAYERS_VIEW_ID, { treeDataProvider: layerTree, showCollapseAll: true });
  const hover = new PythonLayerHoverProvider();

  const statusBar = vscode.window.createStatusBarItem('kerasRnnInspector.status', vscode.StatusBarAlignment.Right, 100);
  statusBar.name = 'Keras RNN Inspector';
  statusBar.text = '$(pulse) Keras RNN';
  statusBar.tooltip = 'Keras RNN Inspector';
  statusBar.command = COMMANDS.inspect;
  statusBar.show();

  // The tree follows whichever model editor or panel has focus; the status bar follows the tree.
  const follow = (uri: vscode.Uri | undefined) => {
    if (uri) void layerTree.show(uri);
  };
  const updateStatus = () => {
    const root = layerTree.root;
    if (root?.kind === 'model') {
      statusBar.text = `$(pulse) ${paramsLabel(root.summary.totalParams)}`;
      // A plain string tooltip (never Markdown), with the file name's controls and bidi overrides visible.
      statusBar.tooltip = `Keras RNN Inspector: ${showName(path.basename(root.uri.fsPath))}, ${paramsLabel(root.summary.totalParams)}`;
    } else {
      statusBar.text = '$(pulse) Keras RNN';
      statusBar.tooltip = 'Keras RNN Inspector';
    }
  };
  deps.onSelectLayer = (uri) => follow(uri);

  context.subscriptions.push(
    log,
    models,
    panels,
    editors,
    layerTree,
    treeView,
    statusBar,
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, panels),
    vscode.window.registerCustomEditorProvider(EDITOR_VIEW_TYPE, editors, { supportsMultipleEditorsPerDocument: true }),
    vscode.window.registerCustomEditorProvider(EDITOR_VIEW_TYPE_H5, editors, { supportsMultipleEditorsPerDocument: true }),
    vscode.languages.registerHoverProvider(PYTHON_SELECTOR, hover),
    editors.onDidChangeActive(follow),
    panels.onDidChangeActive(follow),
    layerTree.onDidChangeTreeData(updateStatus),
    ...registerCommands({ extensionUri: context.extensionUri, models, panels, editors, layerTree, treeView, log }),
  );
  log.info(`activated (VS Code ${vscode.version})`);
  return { models, layerTree, treeView, panels, editors, statusBar, hover };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions; running workers end with their sessions.
}

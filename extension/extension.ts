// activate(): wires the model store, tree, the inspector (custom editor, one per file), commands, Python hover and status bar.
// Nothing else happens here; each piece lives in its own module.

import { bundleLoadStartedAt, bundleLoadStartedCpu, cpuMsSince } from './activationClock';
import * as vscode from 'vscode';
import * as path from 'node:path';
import { ModelStore } from './models';
import { LayerTreeProvider, LAYERS_VIEW_ID } from './layerTree';
import { InspectorPanels, PANEL_VIEW_TYPE } from './inspectorPanel';
import type { SessionDeps } from './inspectorSession';
import { EDITOR_VIEW_TYPE, EDITOR_VIEW_TYPE_H5, ModelEditorProvider } from './modelEditor';
import { registerCommands, COMMANDS } from './commands';
import { registerWalkthrough } from './walkthrough';
import { PythonLayerHoverProvider, PYTHON_SELECTOR } from './pythonHover';
import { paramsLabel } from './hovers';
import { activeModelUri } from './modelPicker';
import { uriBaseName } from './hostFiles';
import { showName } from './keras/safeText';
import { setLogChannel } from './log';
import { onDidChangeSettings, syncH5Association } from './settings';

// Every import above has been evaluated: the bundle is loaded.
const bundleLoadMs = performance.now() - bundleLoadStartedAt;
const bundleLoadCpuMs = cpuMsSince(bundleLoadStartedCpu);

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
  const activateStartedAt = performance.now();
  const activateStartedCpu = process.cpuUsage();
  const log = vscode.window.createOutputChannel('Keras RNN Inspector', { log: true });
  setLogChannel(log);
  // One worker bundle (dist/worker.js) reads untrusted files and runs forward passes, never the extension host.
  // Nothing is read and no worker starts here: both wait for the first model opened.
  const workerPath = path.join(context.extensionPath, 'dist', 'worker.js');
  const models = new ModelStore(log, workerPath);
  const deps: SessionDeps = {
    extensionUri: context.extensionUri,
    models,
    log,
    workerPath,
  };
  const editors = new ModelEditorProvider(deps);
  const panels = new InspectorPanels(editors);
  const layerTree = new LayerTreeProvider(models);
  const treeView = vscode.window.createTreeView(LAYERS_VIEW_ID, { treeDataProvider: layerTree, showCollapseAll: true });
  const hover = new PythonLayerHoverProvider();

  const statusBar = vscode.window.createStatusBarItem('kerasRnnInspector.status', vscode.StatusBarAlignment.Right, 100);
  statusBar.name = 'Keras RNN Inspector';
  statusBar.text = '$(pulse) Keras RNN';
  statusBar.tooltip = 'Keras RNN Inspector';
  statusBar.command = COMMANDS.inspect;
  statusBar.show();

  // The tree follows whichever inspector has focus.
  const follow = (uri: vscode.Uri | undefined) => {
    if (uri) void layerTree.show(uri);
  };
  // The status bar speaks of the model in front: its count while its inspector (or a model file) is the active tab,
  // nothing while another editor (a .py file) is, and the plain entry point when no editor is open.
  let statusVersion = 0;
  const updateStatus = async () => {
    const version = ++statusVersion;
    const uri = activeModelUri(editors.activeUri);
    const anyEditor = vscode.window.tabGroups.activeTabGroup.activeTab !== undefined;
    if (!uri) {
      statusBar.text = '$(pulse) Keras RNN';
      statusBar.tooltip = 'Keras RNN Inspector: Inspect RNN…';
      if (anyEditor) statusBar.hide();
      else statusBar.show();
      return;
    }
    const name = showName(uriBaseName(uri));
    let text: string;
    let tooltip: string;
    try {
      const loaded = await models.get(uri);
      text = `$(pulse) ${paramsLabel(loaded.summary.totalParams)}`;
      // A plain string tooltip (never Markdown), with the file name's controls and bidi overrides visible.
      tooltip = `Keras RNN Inspector: ${name}, ${paramsLabel(loaded.summary.totalParams)}`;
    } catch {
      // The editor says why; the status bar only that there is no count.
      text = '$(pulse) Keras RNN';
      tooltip = `Keras RNN Inspector: ${name} is not a readable Keras model`;
    }
    if (version !== statusVersion) return;
    statusBar.text = text;
    statusBar.tooltip = tooltip;
    statusBar.show();
  };
  const refreshStatus = () => void updateStatus();
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
    // One inspector per file, kept alive while hidden: its run, the chosen step, scroll and charts survive switching
    // tabs as they are, instead of re-rendering a long trace (and re-requesting streamed windows) on every switch.
    // The page still saves its state, for a window reload.
    vscode.window.registerCustomEditorProvider(EDITOR_VIEW_TYPE, editors, { supportsMultipleEditorsPerDocument: false, webviewOptions: { retainContextWhenHidden: true } }),
    vscode.window.registerCustomEditorProvider(EDITOR_VIEW_TYPE_H5, editors, { supportsMultipleEditorsPerDocument: false, webviewOptions: { retainContextWhenHidden: true } }),
    vscode.languages.registerHoverProvider(PYTHON_SELECTOR, hover),
    editors.onDidChangeActive(follow),
    editors.onDidChangeActive(refreshStatus),
    vscode.window.tabGroups.onDidChangeTabs(refreshStatus),
    vscode.window.tabGroups.onDidChangeTabGroups(refreshStatus),
    vscode.window.onDidChangeActiveTextEditor(refreshStatus),
    models.onDidChange(refreshStatus),
    ...registerCommands({ extensionUri: context.extensionUri, models, panels, editors, layerTree, treeView, log }),
    ...registerWalkthrough({ extensionUri: context.extensionUri, models, panels, log }),
    { dispose: () => setLogChannel(undefined) },
    onDidChangeSettings((e) => {
      if (e.affectsConfiguration('kerasRnnInspector.openH5InInspector')) void syncH5Association(EDITOR_VIEW_TYPE_H5).catch((err) => log.warn(`workbench.editorAssociations not updated: ${String(err)}`));
    }),
  );
  // Only when the user turned it on (or left our own entry behind): reading one setting costs nothing here.
  void syncH5Association(EDITOR_VIEW_TYPE_H5).catch((err) => log.warn(`workbench.editorAssociations not updated: ${String(err)}`));
  const activateMs = performance.now() - activateStartedAt;
  const activateCpuMs = cpuMsSince(activateStartedCpu);
  // bench/activation.ts reads this line: the extension's own activation work (loading the bundle + activate()).
  log.info(`activated in ${(bundleLoadMs + activateMs).toFixed(1)} ms (loading the bundle ${bundleLoadMs.toFixed(1)} ms, activate() ${activateMs.toFixed(1)} ms; CPU ${(bundleLoadCpuMs + activateCpuMs).toFixed(1)} ms = ${bundleLoadCpuMs.toFixed(1)} + ${activateCpuMs.toFixed(1)}; VS Code ${vscode.version})`);
  return { models, layerTree, treeView, panels, editors, statusBar, hover };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions; running workers end with their sessions.
}

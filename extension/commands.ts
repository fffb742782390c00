// The commands (category "Keras RNN Inspector"). Each takes optional arguments so menus, tests and
// scripts can run it without prompts: e.g. runForward(uri, { input: { kind: 'ramp' } }).

import * as vscode from 'vscode';
import { confirmLargeModel } from './settings';
import { describeThrown, oneSentence } from './keras/errors';
import { plainText, showName } from './keras/safeText';
import type { InspectorPanels } from './inspectorPanel';
import type { RunOutcome } from './inspectorSession';
import type { ModelEditorProvider } from './modelEditor';
import { inVsCodeWords } from './vscodeWords';
import { LAYERS_VIEW_ID, type LayerTreeProvider, type LayerTreeNode } from './layerTree';
import { ModelLoadError, type ModelStore } from './models';
import { activeModelUri, pickInput, pickModelFile, sampleFiles, toUri } from './modelPicker';
import type { InputChoice } from './protocol';

export const COMMANDS = {
  inspect: 'kerasRnnInspector.inspect',
  runForward: 'kerasRnnInspector.runForward',
  openSample: 'kerasRnnInspector.openSample',
  refreshLayers: 'kerasRnnInspector.refreshLayers',
  focusLayer: 'kerasRnnInspector.focusLayer',
  openInPanel: 'kerasRnnInspector.openInPanel',
} as const;

export interface CommandDeps {
  extensionUri: vscode.Uri;
  models: ModelStore;
  panels: InspectorPanels;
  editors: ModelEditorProvider;
  layerTree: LayerTreeProvider;
  treeView: vscode.TreeView<LayerTreeNode>;
  log: vscode.LogOutputChannel;
}

export interface InspectOptions {
  /** Open (or reveal) the file's inspector too (default true). */
  panel?: boolean;
  preserveFocus?: boolean;
  /** Architecture JSON for a weights-only file (otherwise looked for beside it, then asked for). */
  configPath?: string;
}

export interface RunForwardOptions {
  /** The input; prompts when absent. */
  input?: InputChoice;
  /** Architecture JSON for a weights-only file. */
  configPath?: string;
  /** Stateful layers continue from the panel's last state instead of zeros (the panel's "Continue from last state"). */
  continueState?: boolean;
}

export interface InspectOutcome {
  uri: vscode.Uri;
  /** Set when the file could not be read. */
  error?: string;
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const samplesDir = vscode.Uri.joinPath(deps.extensionUri, 'media', 'samples');

  const resolveModel = async (arg: unknown, title: string): Promise<vscode.Uri | undefined> =>
    toUri(arg) ?? activeModelUri(deps.editors.activeUri) ?? (await pickModelFile(samplesDir, title));

  const revealTree = async (uri: vscode.Uri) => {
    await deps.layerTree.show(uri);
    const root = deps.layerTree.root;
    if (root && deps.treeView.visible) {
      await deps.treeView.reveal(root, { expand: true, focus: false, select: false });
    } else {
      await vscode.commands.executeCommand(`${LAYERS_VIEW_ID}.focus`);
    }
  };

  const inspect = async (arg?: unknown, opts?: InspectOptions | vscode.Uri[]): Promise<InspectOutcome | undefined> => {
    const options: InspectOptions = Array.isArray(opts) ? {} : (opts ?? {});
    const uri = await resolveModel(arg, 'Inspect RNN');
    if (!uri) return undefined;
    // Above kerasRnnInspector.askBeforeOpeningMB a modal asks first (reading a huge file takes time and memory).
    if (!(await confirmLargeModel(uri))) return undefined;
    if (options.configPath) deps.models.setArchitecture(uri, options.configPath);
    let error: string | undefined;
    try {
      await deps.models.get(uri);
    } catch (e) {
      error = oneSentence(inVsCodeWords(e instanceof ModelLoadError ? e.message : describeThrown(e)));
    }
    await revealTree(uri);
    // The one inspector of the file: revealed when open, else opened. An unreadable file opens it too: its page is
    // where the sentence (and, for a weights-only file, "Choose architecture JSON…") is shown, once.
    if (options.panel !== false || (error && !deps.panels.find(uri))) await deps.panels.open(uri, { preserveFocus: options.preserveFocus === true });
    return { uri, ...(error ? { error } : {}) };
  };

  const runForward = async (arg?: unknown, opts?: RunForwardOptions): Promise<RunOutcome | undefined> => {
    // The file of the inspector in front (the editor title's ▶ passes it), else the tree's (its ▶), else asked.
    const uri = toUri(arg) ?? activeModelUri(deps.editors.activeUri) ?? deps.layerTree.uri ?? (await pickModelFile(samplesDir, 'Run Forward Pass'));
    if (!uri) return undefined;
    if (opts?.configPath) deps.models.setArchitecture(uri, opts.configPath);
    let loaded;
    try {
      loaded = await deps.models.get(uri);
    } catch (e) {
      const error = oneSentence(inVsCodeWords(e instanceof ModelLoadError ? e.message : describeThrown(e)));
      // Said once, by the file's inspector page (opened to say it), not by a notification as well.
      await deps.panels.open(uri);
      return { error, errorKind: 'file' };
    }
    if (loaded.notExecutable) {
      // The inspector shows Run disabled with this reason: bring it to the front instead of a notification.
      await deps.panels.open(uri);
      return { error: oneSentence(inVsCodeWords(loaded.notExecutable)), errorKind: 'unsupported' };
    }
    const input = opts?.input ?? (await pickInput(uri, loaded.inputs, samplesDir));
    if (!input) return undefined;
    void deps.layerTree.show(uri);
    // Runs in the inspector already showing the file (never a second copy); opens it when none does.
    const entry = await deps.panels.show(uri, { preserveFocus: true });
    if (!entry) return undefined;
    const { session } = entry;
    // The user chose this CSV in the command's own dialog: the inspector may read it again for a re-run.
    if (input.kind === 'csv' && input.path) session.allowFile(input.path);
    session.setInput(input);
    return session.run(input, { continueState: opts?.continueState === true });
  };

  const openSample = async (arg?: unknown): Promise<vscode.Uri | undefined> => {
    const samples = await sampleFiles(samplesDir);
    let uri: vscode.Uri | undefined;
    if (typeof arg === 'string' && !arg.includes('/') && !arg.includes('\\')) {
      uri = samples.find((s) => s.label === arg || s.label.startsWith(`${arg}.`))?.uri;
      if (!uri) {
        void vscode.window.showErrorMessage(plainText(oneSentence(`There is no sample named "${showName(arg)}"; the samples are ${samples.map((s) => s.label).join(', ')}.`)));
        return undefined;
      }
    } else {
      uri = toUri(arg);
    }
    if (!uri) {
      const picked = await vscode.window.showQuickPick(
        samples.map((s) => ({ label: s.label, description: s.description, uri: s.uri })),
        { title: 'Open Sample Model', placeHolder: 'The golden notebook models (three file layouts each) and the sunspots model' },
      );
      uri = picked?.uri;
    }
    if (!uri) return undefined;
    await deps.panels.open(uri);
    await deps.layerTree.show(uri);
    return uri;
  };

  const focusLayer = async (arg?: unknown, layer?: string) => {
    const uri = toUri(arg);
    if (!uri || typeof layer !== 'string') return;
    deps.panels.get(uri)?.session.focusLayer(layer);
  };

  // Focuses the file's one inspector (opening it when it is not open); never a copy.
  const openInPanel = async (arg?: unknown) => {
    const uri = toUri(arg) ?? activeModelUri(deps.editors.activeUri) ?? deps.layerTree.uri;
    if (uri) await deps.panels.open(uri);
  };

  const wrap =
    <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R | undefined> => {
      try {
        return await fn(...args);
      } catch (e) {
        // Never a silent nothing: an unexpected failure is logged and shown.
        deps.log.error(`${name} failed`, e instanceof Error ? e : new Error(describeThrown(e)));
        void vscode.window.showErrorMessage(plainText(oneSentence(`Keras RNN Inspector: ${describeThrown(e)}`)));
        return undefined;
      }
    };

  return [
    vscode.commands.registerCommand(COMMANDS.inspect, wrap('Inspect RNN', inspect)),
    vscode.commands.registerCommand(COMMANDS.runForward, wrap('Run Forward Pass', runForward)),
    vscode.commands.registerCommand(COMMANDS.openSample, wrap('Open Sample Model', openSample)),
    vscode.commands.registerCommand(COMMANDS.refreshLayers, () => deps.layerTree.refresh()),
    vscode.commands.registerCommand(COMMANDS.focusLayer, wrap('Focus layer', focusLayer)),
    vscode.commands.registerCommand(COMMANDS.openInPanel, wrap('Open inspector', openInPanel)),
  ];
}

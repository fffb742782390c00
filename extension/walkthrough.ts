// The walkthrough "Understand an RNN by its shapes" (package.json contributes.walkthroughs): one command per step,
// each doing what its button says on sample b, SimpleRNN(5) over T = 10, D = 3 → Dense(2), in the inspector that
// already shows the file (never a second copy). Completion events tick a step off when its command runs.

import * as vscode from 'vscode';
import { describeThrown, oneSentence } from './keras/errors';
import { plainText } from './keras/safeText';
import type { InspectorSession } from './inspectorSession';
import type { InspectorPanels } from './inspectorPanel';
import type { ModelStore } from './models';
import type { HostMessage } from './protocol';

export const WALKTHROUGH_ID = 'keras-rnn-inspector.keras-rnn-inspector#understandRnnByShapes';

export const WALKTHROUGH_COMMANDS = {
  open: 'kerasRnnInspector.openWalkthrough',
  openSample: 'kerasRnnInspector.walkthrough.openSample',
  showParams: 'kerasRnnInspector.walkthrough.showParams',
  run: 'kerasRnnInspector.walkthrough.run',
  stepThrough: 'kerasRnnInspector.walkthrough.stepThrough',
  compare: 'kerasRnnInspector.walkthrough.compare',
  exportNumpy: 'kerasRnnInspector.walkthrough.exportNumpy',
} as const;

/** Sample b as the Open Sample Model picker names it, and its input saved beside it. */
const SAMPLE = 'b_simplernn5_tanh.keras';
const SAMPLE_INPUT = 'b_simplernn5_tanh.input.json';
/** What Keras printed for model.predict on that input (../shared/golden/golden.json, case b), as NumPy prints it. */
export const SAMPLE_B_KERAS_PRINTED = 'array([[-1.3271614 , -0.02186675]], dtype=float32)';
/** The pause between steps when stepping through h_1..h_T: slow enough to follow, fast enough to finish. */
const STEP_MS = 350;

export interface WalkthroughDeps {
  extensionUri: vscode.Uri;
  models: ModelStore;
  panels: InspectorPanels;
  log: vscode.LogOutputChannel;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function registerWalkthrough(deps: WalkthroughDeps): vscode.Disposable[] {
  const samples = vscode.Uri.joinPath(deps.extensionUri, 'media', 'samples');
  const sampleUri = vscode.Uri.joinPath(samples, SAMPLE);

  /** The inspector showing sample b, brought to the front (opened when it is not); resolves once its page listens. */
  const session = async (): Promise<InspectorSession> => {
    // Each step shows its effect in the one inspector of the file (the walkthrough stays one tab away). Hidden, the
    // page kept its state (retainContextWhenHidden), so nothing is reloaded or lost by revealing it.
    const entry = await deps.panels.show(sampleUri, { preserveFocus: false });
    if (!entry) throw new Error('The inspector for sample b did not open; open it with "Open Sample Model" and try the step again.');
    await entry.session.whenReady();
    return entry.session;
  };

  const post = (s: InspectorSession, m: HostMessage) => void s.webview.postMessage(m);

  /** Runs sample b on its saved input unless the inspector already has a run. */
  const ensureRun = async (s: InspectorSession) => {
    if (s.lastResult) return s.lastResult;
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(samples, SAMPLE_INPUT)));
    const input = { kind: 'text' as const, text };
    s.setInput(input);
    const outcome = await s.run(input);
    if (!outcome.result) throw new Error(outcome.error ?? 'The forward pass did not finish.');
    return outcome.result;
  };

  const steps: Record<Exclude<keyof typeof WALKTHROUGH_COMMANDS, 'open'>, () => Promise<unknown>> = {
    openSample: async () => session(),
    showParams: async () => {
      await session();
      // The Model Layers tree, expanded: each layer's row carries its count (45 params, 12 params) and its tooltip the formula.
      await vscode.commands.executeCommand('kerasRnnInspector.inspect', sampleUri, { panel: false, preserveFocus: true });
      const loaded = await deps.models.get(sampleUri);
      const rnn = loaded.summary.layers.find((l) => l.cell);
      if (rnn) await vscode.commands.executeCommand('kerasRnnInspector.focusLayer', sampleUri, rnn.name);
    },
    run: async () => ensureRun(await session()),
    stepThrough: async () => {
      const s = await session();
      const result = await ensureRun(s);
      const T = result.traces[0]?.steps ?? 0;
      for (let k = 0; k < T; k++) {
        post(s, { type: 'selectStep', step: k });
        await sleep(STEP_MS);
      }
    },
    compare: async () => {
      const s = await session();
      await ensureRun(s);
      post(s, { type: 'compareText', text: SAMPLE_B_KERAS_PRINTED });
    },
    exportNumpy: async () => {
      const s = await session();
      await ensureRun(s);
      // Saved where the user works (the samples live inside the extension), starting in the first workspace folder.
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      const dest = await vscode.window.showSaveDialog({
        ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, 'b_simplernn5_tanh-forward.py') } : {}),
        filters: { 'Python script': ['py'] },
        saveLabel: 'Export',
        title: 'Save the NumPy script that recomputes this run',
      });
      if (!dest) return;
      const { savedTo } = await s.export({ format: 'numpy' }, dest);
      if (savedTo) await vscode.window.showTextDocument(dest, { preview: false, viewColumn: vscode.ViewColumn.Beside });
    },
  };

  const wrap = (name: string, fn: () => Promise<unknown>) => async () => {
    try {
      await fn();
    } catch (e) {
      deps.log.warn(`walkthrough step ${name} failed: ${describeThrown(e)}`);
      void vscode.window.showErrorMessage(plainText(oneSentence(describeThrown(e))));
    }
  };

  return [
    vscode.commands.registerCommand(WALKTHROUGH_COMMANDS.open, () => vscode.commands.executeCommand('workbench.action.openWalkthrough', WALKTHROUGH_ID, false)),
    ...Object.entries(steps).map(([name, fn]) => vscode.commands.registerCommand(WALKTHROUGH_COMMANDS[name as keyof typeof steps], wrap(name, fn))),
  ];
}

// The read-only custom editor: default for *.keras, an option for *.h5/*.hdf5 (generic HDF5, so not taken
// over). A file that is not a Keras model gets a page that says so, with a button to reopen it elsewhere.

import * as vscode from 'vscode';
import { confirmLargeModel } from './settings';
import { uriBaseName } from './hostFiles';
import { describeThrown } from './keras/errors';
import { inspectorHtml, notAModelHtml, webviewOptions } from './inspectorHtml';
import { InspectorSession, chooseArchitecture, displayName, type SessionDeps } from './inspectorSession';
import { ModelLoadError } from './models';
import { validateWebviewMessage } from './protocol';
import { inVsCodeWords } from './vscodeWords';

/** Default editor for .keras. */
export const EDITOR_VIEW_TYPE = 'kerasRnnInspector.modelEditor';
/** Optional editor for .h5 / .hdf5 ("Open With…"). */
export const EDITOR_VIEW_TYPE_H5 = 'kerasRnnInspector.modelEditorH5';

export interface EditorEntry {
  uri: vscode.Uri;
  panel: vscode.WebviewPanel;
  /** Set when the file is a model; undefined on the not-a-model page. */
  session?: InspectorSession;
  /** The core's sentence when the file could not be read. */
  error?: string;
  /** Settles once the page has decided what it shows (model or not-a-model page), or the editor closed first. */
  resolved: Promise<void>;
  /** The editor was closed. */
  disposed?: boolean;
}

export class ModelEditorProvider implements vscode.CustomReadonlyEditorProvider, vscode.Disposable {
  private readonly editors = new Set<EditorEntry>();
  private readonly activeEmitter = new vscode.EventEmitter<vscode.Uri | undefined>();
  private readonly openedEmitter = new vscode.EventEmitter<EditorEntry>();
  private readonly closedEmitter = new vscode.EventEmitter<EditorEntry>();
  /** Fires when a model editor becomes active (its file). */
  readonly onDidChangeActive = this.activeEmitter.event;
  /** Fires once an editor has decided what it shows (model or not-a-model page). */
  readonly onDidResolve = this.openedEmitter.event;
  private active?: EditorEntry;

  constructor(private readonly deps: SessionDeps) {}

  /** The file of the model editor that has focus, if any. */
  get activeUri(): vscode.Uri | undefined {
    return this.active?.panel.active ? this.active.uri : undefined;
  }

  /** Open editors (tests read them). */
  entries(): EditorEntry[] {
    return [...this.editors];
  }

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  /** The editor of `uri` once it has decided what it shows; undefined when it closes first or `timeoutMs` passes. */
  whenResolved(uri: vscode.Uri, timeoutMs: number): Promise<EditorEntry | undefined> {
    const key = uri.toString();
    const ready = () => [...this.editors].find((e) => e.uri.toString() === key && !e.disposed && (e.session || e.error !== undefined));
    const now = ready();
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => {
      const done = (e: EditorEntry | undefined) => {
        clearTimeout(timer);
        sub.dispose();
        closed.dispose();
        resolve(e);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const sub = this.openedEmitter.event((e) => {
        if (e.uri.toString() === key) done(e);
      });
      const closed = this.closedEmitter.event((e) => {
        if (e.uri.toString() === key) done(undefined);
      });
    });
  }

  async resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): Promise<void> {
    const uri = document.uri;
    let settle!: () => void;
    const entry: EditorEntry = { uri, panel, resolved: new Promise<void>((r) => (settle = r)) };
    this.editors.add(entry);
    const opened = this.openedEmitter.event((e) => {
      if (e !== entry) return;
      settle();
      opened.dispose();
    });
    panel.webview.options = webviewOptions(this.deps.extensionUri);
    // The tab's name as every other label shows it: the file's controls and bidi overrides made visible.
    panel.title = displayName(uri);
    panel.onDidChangeViewState((e) => {
      if (e.webviewPanel.active) {
        this.active = entry;
        this.activeEmitter.fire(uri);
      } else if (this.active === entry) {
        // Another tab took focus: this can arrive after the tab events, so the status bar reads what is in front again.
        this.activeEmitter.fire(undefined);
      }
    });
    panel.onDidDispose(() => {
      entry.disposed = true;
      settle();
      opened.dispose();
      entry.session?.dispose();
      this.editors.delete(entry);
      this.closedEmitter.fire(entry);
      if (this.active === entry) {
        this.active = undefined;
        this.activeEmitter.fire(undefined);
      }
    });
    if (panel.active) {
      this.active = entry;
      this.activeEmitter.fire(uri);
    }
    // Above kerasRnnInspector.askBeforeOpeningMB a modal asks first; "no" closes the editor.
    if (!(await confirmLargeModel(uri))) {
      panel.dispose();
      return;
    }
    await this.show(entry);
  }

  /** Shows the inspector, or the not-a-model page (with "Choose architecture JSON…" for weights-only files). */
  private async show(entry: EditorEntry): Promise<void> {
    const { uri, panel } = entry;
    try {
      await this.deps.models.get(uri);
    } catch (e) {
      entry.error = inVsCodeWords(e instanceof ModelLoadError ? e.message : describeThrown(e));
      const needsArchitecture = e instanceof ModelLoadError && e.needsArchitecture;
      const listener = panel.webview.onDidReceiveMessage(async (raw: unknown) => {
        // This page only has two buttons; anything else, or anything malformed, is dropped.
        const checked = validateWebviewMessage(raw);
        if (!checked.ok) {
          this.deps.log.warn(checked.error);
          return;
        }
        const type = checked.message.type;
        if (type === 'reopenWith') void vscode.commands.executeCommand('workbench.action.reopenWithEditor', uri);
        if (type === 'chooseArchitecture' && needsArchitecture && (await chooseArchitecture(this.deps.models, uri))) {
          listener.dispose();
          entry.error = undefined;
          await this.show(entry);
        }
      });
      const disposed = panel.onDidDispose(() => {
        listener.dispose();
        disposed.dispose();
      });
      panel.webview.html = notAModelHtml(panel.webview, this.deps.extensionUri, uriBaseName(uri), entry.error, needsArchitecture);
      this.openedEmitter.fire(entry);
      return;
    }
    entry.session = new InspectorSession(panel.webview, uri, 'editor', this.deps);
    panel.webview.html = inspectorHtml(panel.webview, this.deps.extensionUri, 'editor');
    this.openedEmitter.fire(entry);
  }

  dispose(): void {
    this.activeEmitter.dispose();
    this.openedEmitter.dispose();
    this.closedEmitter.dispose();
  }
}

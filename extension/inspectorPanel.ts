// One inspector per model file. The inspector is the custom editor (modelEditor.ts); every way in (Inspect RNN, Run
// Forward Pass from the palette, the editor title's ▶ or the tree, Open Inspector Panel, the walkthrough) reveals the
// one already showing the file, or opens it as that editor. Panels of the old separate kind, restored from an
// earlier session, are turned into the editor on restore (or closed when the file already has one).

import * as vscode from 'vscode';
import { EDITOR_VIEW_TYPE, EDITOR_VIEW_TYPE_H5, type EditorEntry, type ModelEditorProvider } from './modelEditor';
import type { InspectorSession } from './inspectorSession';
import { isModelPath } from './models';
import { parsePersistedState, type PersistedState } from './protocol';

/** The view type of the old separate panel; still registered so a panel saved by an earlier version is replaced, not left blank. */
export const PANEL_VIEW_TYPE = 'kerasRnnInspector.inspector';

/** The inspector showing a model: its webview panel and, when the file is a readable model, its session. */
export interface InspectorEntry {
  uri: vscode.Uri;
  panel: vscode.WebviewPanel;
  session: InspectorSession;
}

/** The inspector showing a file, with its page (session undefined on the not-a-model page, `error` its sentence). */
export type AnyInspector = EditorEntry;

export interface ShowOptions {
  preserveFocus?: boolean;
  column?: vscode.ViewColumn;
}

/** The custom editor's view type for a file: the default one for .keras, the optional one for .h5/.hdf5. */
export function viewTypeFor(uri: vscode.Uri): string {
  return /\.keras$/i.test(uri.path) ? EDITOR_VIEW_TYPE : EDITOR_VIEW_TYPE_H5;
}

/** All ways to an inspector, one per file. */
export class InspectorPanels implements vscode.Disposable, vscode.WebviewPanelSerializer<PersistedState> {
  constructor(private readonly editors: ModelEditorProvider) {}

  /** The inspector showing `uri` with a model in it (undefined when none is open or the file is not a model). */
  get(uri: vscode.Uri): InspectorEntry | undefined {
    const e = this.find(uri);
    return e?.session ? { uri: e.uri, panel: e.panel, session: e.session } : undefined;
  }

  /** The inspector showing `uri`, whatever its page shows. */
  find(uri: vscode.Uri): EditorEntry | undefined {
    const key = uri.toString();
    return this.editors.entries().find((e) => e.uri.toString() === key && !e.disposed);
  }

  /** Every open inspector with a model in it. */
  all(): InspectorEntry[] {
    return this.editors.entries().flatMap((e) => (e.session && !e.disposed ? [{ uri: e.uri, panel: e.panel, session: e.session }] : []));
  }

  /**
   * Reveals the inspector showing `uri`, or opens the file in it; resolves once its page has decided what it shows
   * (the model, or the sentence saying why the file cannot be read). Undefined when the user declined to open it
   * (a large file's question) or it did not open within a minute.
   */
  async open(uri: vscode.Uri, options: ShowOptions = {}): Promise<EditorEntry | undefined> {
    const existing = this.find(uri);
    if (existing) {
      existing.panel.reveal(options.column ?? existing.panel.viewColumn, options.preserveFocus);
      await existing.resolved;
      return existing.disposed ? undefined : existing;
    }
    // A model shown as a plain editor (VS Code's "binary file" notice for .h5) is reopened as the inspector in its
    // place, as "Reopen Editor With…" does, so the file never ends up in two tabs.
    const plainTabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => isPlainTabOf(t, uri));
    const column = options.column ?? plainTabs.find((t) => t.isActive)?.group.viewColumn ?? plainTabs[0]?.group.viewColumn;
    const resolved = this.editors.whenResolved(uri, 60_000);
    await vscode.commands.executeCommand('vscode.openWith', uri, viewTypeFor(uri), {
      preserveFocus: options.preserveFocus === true,
      preview: false,
      ...(column !== undefined ? { viewColumn: column } : {}),
    });
    // Looked up again: the tab objects from before the open are stale once the group changed.
    const stale = plainTabs.length > 0 ? vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => isPlainTabOf(t, uri)) : [];
    if (stale.length > 0) await vscode.window.tabGroups.close(stale, true).then(undefined, (e) => console.warn('could not close the plain tab', e));
    return resolved;
  }

  /** The inspector for `uri` with its model (undefined when the file cannot be read or was not opened). */
  async show(uri: vscode.Uri, options: ShowOptions = {}): Promise<InspectorEntry | undefined> {
    const e = await this.open(uri, options);
    return e?.session ? { uri: e.uri, panel: e.panel, session: e.session } : undefined;
  }

  /** A panel of the old separate kind came back after a reload: show its file in the one inspector instead. */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, raw: PersistedState | undefined): Promise<void> {
    // The saved state was written by the page: checked like any message from it.
    const state = parsePersistedState(raw);
    const column = panel.viewColumn;
    panel.dispose();
    if (!state) return;
    let uri: vscode.Uri;
    try {
      uri = vscode.Uri.parse(state.fileUri, true);
    } catch {
      return;
    }
    // Only a model file on a file system VS Code knows (isWritableFileSystem is undefined for an unknown scheme).
    if (vscode.workspace.fs.isWritableFileSystem(uri.scheme) === undefined || !isModelPath(uri.path)) return;
    if (this.find(uri)) return;
    await this.open(uri, { preserveFocus: true, ...(column !== undefined ? { column } : {}) });
  }

  dispose(): void {
    // The editors are VS Code's: they close with the window.
  }
}

/** A tab showing `uri` in an editor other than ours (text, the binary notice), with nothing unsaved in it. */
function isPlainTabOf(tab: vscode.Tab, uri: vscode.Uri): boolean {
  if (tab.isDirty || tab.input instanceof vscode.TabInputCustom || tab.input instanceof vscode.TabInputWebview) return false;
  const shown = (tab.input as { uri?: unknown } | undefined)?.uri;
  return shown instanceof vscode.Uri && shown.scheme === uri.scheme && shown.path === uri.path;
}

// The inspector panels: one panel per model file, restored after a reload through the serializer. The page is
// inspectorHtml.ts, and what a page says and runs is its InspectorSession (inspectorSession.ts).

import * as vscode from 'vscode';
import { inspectorHtml, webviewOptions } from './inspectorHtml';
import { InspectorSession, displayName, type SessionDeps } from './inspectorSession';
import { isModelPath } from './models';
import { parsePersistedState, type PersistedState } from './protocol';

export const PANEL_VIEW_TYPE = 'kerasRnnInspector.inspector';

interface PanelEntry {
  panel: vscode.WebviewPanel;
  session: InspectorSession;
}

/** One inspector panel per model file, restored after a reload through the serializer. */
export class InspectorPanels implements vscode.Disposable, vscode.WebviewPanelSerializer<PersistedState> {
  private readonly panels = new Map<string, PanelEntry>();
  private readonly activeEmitter = new vscode.EventEmitter<vscode.Uri | undefined>();
  /** Fires when a panel becomes the active one (its model), or undefined when none is. */
  readonly onDidChangeActive = this.activeEmitter.event;

  constructor(private readonly deps: SessionDeps) {}

  get(uri: vscode.Uri): PanelEntry | undefined {
    return this.panels.get(uri.toString());
  }

  all(): PanelEntry[] {
    return [...this.panels.values()];
  }

  /** Opens (or reveals) the panel for `uri`. */
  show(uri: vscode.Uri, options: { preserveFocus?: boolean; column?: vscode.ViewColumn } = {}): PanelEntry {
    const existing = this.get(uri);
    if (existing) {
      existing.panel.reveal(options.column ?? existing.panel.viewColumn, options.preserveFocus);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      this.title(uri),
      { viewColumn: options.column ?? vscode.ViewColumn.Active, preserveFocus: options.preserveFocus },
      webviewOptions(this.deps.extensionUri),
    );
    return this.attach(panel, uri);
  }

  private title(uri: vscode.Uri): string {
    return `RNN: ${displayName(uri)}`;
  }

  private attach(panel: vscode.WebviewPanel, uri: vscode.Uri, restore?: unknown): PanelEntry {
    panel.iconPath = vscode.Uri.joinPath(this.deps.extensionUri, 'media', 'icon.png');
    panel.webview.options = webviewOptions(this.deps.extensionUri);
    const session = new InspectorSession(panel.webview, uri, 'panel', this.deps, restore);
    panel.webview.html = inspectorHtml(panel.webview, this.deps.extensionUri, 'panel');
    const entry = { panel, session };
    this.panels.set(uri.toString(), entry);
    panel.onDidChangeViewState((e) => {
      if (e.webviewPanel.active) this.activeEmitter.fire(uri);
    });
    panel.onDidDispose(() => {
      session.dispose();
      if (this.panels.get(uri.toString()) === entry) this.panels.delete(uri.toString());
      this.activeEmitter.fire(undefined);
    });
    return entry;
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, raw: PersistedState | undefined): Promise<void> {
    // The saved state was written by the page: checked like any message from it.
    const state = parsePersistedState(raw);
    if (!state) {
      // Nothing to restore from (the page never saved its state): close instead of showing an empty panel.
      panel.dispose();
      return;
    }
    let uri: vscode.Uri;
    try {
      uri = vscode.Uri.parse(state.fileUri, true);
    } catch {
      panel.dispose();
      return;
    }
    // The page wrote this state: reopen only a model file on a file system VS Code knows (disk, remote, a virtual
    // workspace's provider), never whatever URI it names (isWritableFileSystem is undefined for an unknown scheme).
    if (vscode.workspace.fs.isWritableFileSystem(uri.scheme) === undefined || !isModelPath(uri.path)) {
      panel.dispose();
      return;
    }
    panel.title = this.title(uri);
    this.attach(panel, uri, state.ui);
  }

  dispose(): void {
    for (const e of this.panels.values()) e.panel.dispose();
    this.panels.clear();
    this.activeEmitter.dispose();
  }
}

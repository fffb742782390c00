// The "Model Layers" tree: model → layers (wrappers show their inner layers) → weight tensors.
// Labels carry the class and the annotated output shape, descriptions the parameter count, tooltips the
// formula with this layer's numbers (hovers.ts).

import * as vscode from 'vscode';
import { uriBaseName } from './hostFiles';
import type { LayerSummary, ModelSummary, WeightSummary } from './keras/summary';
import { escapeMd, layerTooltip, modelTooltip, paramsLabel, weightRole, weightTooltip, formatCount } from './hovers';
import { layerKind } from './keras/layers/index';
import { showName } from './keras/safeText';
import { ModelLoadError, type ModelStore } from './models';
import { inVsCodeWords } from './vscodeWords';

export const LAYERS_VIEW_ID = 'kerasRnnInspector.layers';

export type LayerTreeNode =
  | { kind: 'model'; uri: vscode.Uri; summary: ModelSummary; notExecutable?: string }
  | { kind: 'layer'; uri: vscode.Uri; layer: LayerSummary; parent: LayerTreeNode; index?: number }
  | { kind: 'weight'; uri: vscode.Uri; layer: LayerSummary; weight: WeightSummary; parent: LayerTreeNode; index?: number }
  | { kind: 'message'; uri?: vscode.Uri; text: string; detail?: string; tooltip?: string; error: boolean };

/** A tooltip: untrusted (no command links run), no HTML, no theme icons; file strings in it are escaped (hovers.ts). */
function md(text: string): vscode.MarkdownString {
  const m = new vscode.MarkdownString(text, false);
  m.isTrusted = false;
  m.supportHtml = false;
  m.supportThemeIcons = false;
  return m;
}

export class LayerTreeProvider implements vscode.TreeDataProvider<LayerTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<LayerTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private state: { uri: vscode.Uri; root?: LayerTreeNode; loading?: Promise<void> } | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** Clicking a layer calls this (the extension focuses it in an open inspector). */
  onLayerClicked?: (uri: vscode.Uri, layer: string) => void;

  constructor(private readonly models: ModelStore) {
    this.disposables.push(
      // The file changed on disk (the store's FileSystemWatcher): read it again, whatever the tree showed before.
      models.onDidChange((uri) => {
        if (this.state && uri.toString() === this.state.uri.toString()) this.refresh();
      }),
    );
  }

  /** The model the tree shows. */
  get uri(): vscode.Uri | undefined {
    return this.state?.uri;
  }

  /** Shows `uri` (reading it if needed); resolves when the tree has its new root. */
  show(uri: vscode.Uri): Promise<void> {
    if (this.state?.uri.toString() === uri.toString() && this.state.root && this.state.root.kind === 'model') {
      return Promise.resolve();
    }
    const state: NonNullable<typeof this.state> = { uri };
    this.state = state;
    state.loading = (async () => {
      try {
        const loaded = await this.models.get(uri);
        state.root = { kind: 'model', uri, summary: loaded.summary, ...(loaded.notExecutable ? { notExecutable: loaded.notExecutable } : {}) };
      } catch (e) {
        const text = inVsCodeWords(e instanceof ModelLoadError ? e.message : String(e));
        // The file's inspector says why, once; the row only says that there are no layers to list (the sentence is
        // its tooltip, for when the inspector is closed).
        state.root = { kind: 'message', uri, text: `${showName(uriBaseName(uri))}: not a readable Keras model`, tooltip: text, error: true };
      }
      if (this.state === state) this.changed.fire(undefined);
    })();
    this.changed.fire(undefined);
    return state.loading;
  }

  clear(): void {
    this.state = undefined;
    this.changed.fire(undefined);
  }

  refresh(): void {
    if (this.state) {
      const uri = this.state.uri;
      this.state = undefined;
      void this.show(uri);
    }
  }

  /** The root node (after `show` resolved). */
  get root(): LayerTreeNode | undefined {
    return this.state?.root;
  }

  async getChildren(node?: LayerTreeNode): Promise<LayerTreeNode[]> {
    if (!node) {
      if (!this.state) return [];
      if (!this.state.root) await this.state.loading;
      return this.state?.root ? [this.state.root] : [];
    }
    switch (node.kind) {
      case 'model':
        return node.summary.layers.map((layer, index) => ({ kind: 'layer', uri: node.uri, layer, parent: node, index }));
      case 'layer': {
        const { layer } = node;
        const inner: LayerTreeNode[] = layer.children.map((child, index) => ({ kind: 'layer', uri: node.uri, layer: child, parent: node, index }));
        // A wrapper whose inner layers list their own weights shows them there; otherwise its own weights here.
        const innerHaveWeights = layer.children.some((c) => c.weights.length > 0);
        const weights: LayerTreeNode[] = innerHaveWeights ? [] : layer.weights.map((weight, index) => ({ kind: 'weight', uri: node.uri, layer, weight, parent: node, index }));
        return [...inner, ...weights];
      }
      default:
        return [];
    }
  }

  getParent(node: LayerTreeNode): LayerTreeNode | undefined {
    return node.kind === 'layer' || node.kind === 'weight' ? node.parent : undefined;
  }

  getTreeItem(node: LayerTreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'model': {
        const s = node.summary;
        const item = new vscode.TreeItem(showName(uriBaseName(node.uri)), vscode.TreeItemCollapsibleState.Expanded);
        item.description = `${paramsLabel(s.totalParams)} · ${showName(s.modelClass, 40)}${s.kerasVersion ? ` · Keras ${showName(s.kerasVersion, 20)}` : ''}${node.notExecutable ? ' · cannot run' : ''}`;
        item.tooltip = md(modelTooltip(s) + (node.notExecutable && !s.warnings.includes(node.notExecutable) ? `\n\n⚠ **Cannot run:** ${escapeMd(node.notExecutable, 1000)}` : ''));
        item.iconPath = node.notExecutable ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground')) : new vscode.ThemeIcon('symbol-namespace');
        item.resourceUri = node.uri;
        item.contextValue = 'kriModel';
        item.id = `model:${node.uri.toString()}`;
        return item;
      }
      case 'layer': {
        const { layer } = node;
        const hasKids = layer.children.length > 0 || layer.weights.length > 0;
        // The shape as Keras prints it, without the letters (those are in the tooltip): a narrow sidebar then still shows
        // the parameter count in the description instead of cutting it.
        const item = new vscode.TreeItem(`${showName(layer.className, 40)} ${showName(plainShapeText(layer), 120)}`, hasKids ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        const cannotRun = layer.notExecutable ? ' · cannot run' : '';
        item.description = `${paramsLabel(layer.params)} · ${showName(layer.name)}${cannotRun}`;
        item.tooltip = md(layerTooltip(layer, node.parent.kind === 'model' ? node.parent.summary : undefined));
        item.iconPath = layer.notExecutable
          ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'))
          : new vscode.ThemeIcon(layerKind(layer.className)?.recurrent ? 'sync' : layer.params > 0 ? 'symbol-field' : 'arrow-right');
        item.contextValue = layer.notExecutable ? 'kriLayerNotExecutable' : 'kriLayer';
        item.id = `layer:${node.uri.toString()}:${layerPath(node)}`;
        item.command = { command: 'kerasRnnInspector.focusLayer', title: 'Show in the inspector', arguments: [node.uri, layer.name] };
        item.accessibilityInformation = { label: `${showName(layer.name)}, ${showName(layer.className, 40)}, output ${showName(layer.outputShapeText, 120)}, ${paramsLabel(layer.params)}${cannotRun}` };
        return item;
      }
      case 'weight': {
        const { weight, layer } = node;
        const name = weight.name;
        const role = weightRole(layer.className, name);
        const item = new vscode.TreeItem(role ? `${showName(name)} (${role})` : showName(name), vscode.TreeItemCollapsibleState.None);
        item.description = `${weight.shape.join(' × ') || 'scalar'} = ${formatCount(weight.count)}`;
        item.tooltip = md(weightTooltip(layer, weight));
        item.iconPath = new vscode.ThemeIcon('symbol-array');
        item.contextValue = 'kriWeight';
        item.id = `weight:${node.uri.toString()}:${layerPath(node.parent)}:w${node.index ?? 0}`;
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.description = node.detail ? showName(node.detail, 300) : undefined;
        const tip = node.detail ?? node.tooltip;
        item.tooltip = tip ? md(escapeMd(tip, 1000)) : undefined;
        item.iconPath = new vscode.ThemeIcon(node.error ? 'error' : 'info');
        item.contextValue = 'kriMessage';
        return item;
      }
    }
  }

  dispose(): void {
    this.changed.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

function layerPath(node: LayerTreeNode): string {
  if (node.kind !== 'layer') return '';
  // Positions, not names: ids stay short and unique whatever the file calls its layers.
  const up = node.parent.kind === 'layer' ? `${layerPath(node.parent)}/` : '';
  return `${up}${node.index ?? showName(node.layer.name)}`;
}

/** `(N, M) = (None, 200)` → `(None, 200)`: the printed shape of an annotated one. */
function plainShapeText(layer: LayerSummary): string {
  const text = layer.outputShapeText;
  const at = layer.outputLetters ? text.indexOf(') = (') : -1;
  return at >= 0 ? text.slice(at + 4) : text;
}

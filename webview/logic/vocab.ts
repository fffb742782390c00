// The words and symbols the panel shows for time steps and trace quantities, in one place, so the grid, the tables,
// the charts, the exported images and their file names all say the same thing: time steps t = 1..T (h_0 is the state
// before the first step) and each quantity by the symbol its equations use (h̃, never its storage key 'hh').

/** A time step or processing step as shown: array index 0 is t = 1. */
export function stepLabel(index: number): string {
  return String(index + 1);
}

interface QuantityDescriptions {
  quantities: readonly { key: string; symbol: string; label: string; role: string }[];
}

/** The symbol of a trace quantity as the equations write it, e.g. 'h̃' for the GRU candidate stored under 'hh'. */
export function quantitySymbol(cell: QuantityDescriptions, key: string): string {
  return cell.quantities.find((q) => q.key === key)?.symbol ?? key;
}

/** "h_t (hidden state)", "h̃ (candidate)": how the quantity picker and an exported image name it. */
export function quantityTitle(cell: QuantityDescriptions, key: string): string {
  const q = cell.quantities.find((qq) => qq.key === key);
  if (!q) return key;
  return `${q.role === 'state' ? `${q.symbol}_t` : q.symbol} (${q.label})`;
}

/** A symbol as plain ASCII for a file name: h̃ → htilde, c̃ → ctilde; anything else outside [A-Za-z0-9_-] dropped. */
export function fileWord(symbol: string): string {
  const ascii = symbol
    .normalize('NFD')
    .replace(/\u0303/g, 'tilde')
    .replace(/[^A-Za-z0-9_-]/g, '');
  return ascii || 'values';
}

/** The file name an image export suggests, e.g. "gru-htilde-heatmap.png". */
export function figureFileName(layer: string, cell: QuantityDescriptions, key: string, kind: 'heatmap' | 'chart'): string {
  return `${layer}-${fileWord(quantitySymbol(cell, key))}-${kind}.png`;
}

// Symbolic shapes as Keras prints them: null is None (unknown, usually the batch N or a free T).

export type Dim = number | null;
export type Shape = Dim[];

/** The letters the notebooks use: N samples, T time steps, D input features, M hidden units, K outputs. */
export type DimLetter = 'N' | 'T' | 'D' | 'M' | '2M' | 'K' | 'V' | 'E' | 'F' | 'H' | 'W' | 'C' | null;

export const LETTER_MEANING: Record<Exclude<DimLetter, null>, string> = {
  N: 'samples (batch size)',
  T: 'time steps',
  D: 'input features per time step',
  M: 'hidden units',
  '2M': 'hidden units of both directions, forward then backward',
  K: 'outputs',
  V: 'vocabulary size',
  E: 'embedding size',
  F: 'filters',
  H: 'frame height (rows)',
  W: 'frame width (columns)',
  C: 'channels per pixel',
};

/** `(None, 10, 5)` exactly as Keras's model.summary() prints it. */
export function formatShape(shape: Shape): string {
  const parts = shape.map((d) => (d === null ? 'None' : String(d)));
  return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(', ')})`;
}

/** `(N, T, M) = (None, 10, 5)`: the notebook way of annotating a shape. */
export function annotateShape(shape: Shape, letters: DimLetter[] | undefined): string {
  const printed = formatShape(shape);
  if (!letters || letters.length !== shape.length || letters.every((l) => l === null)) return printed;
  const named = letters.map((l, i) => l ?? String(shape[i] ?? 'None'));
  return `(${named.join(', ')}) = ${printed}`;
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}


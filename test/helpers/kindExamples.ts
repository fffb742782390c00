// One small, valid instance of every registered layer kind, for the conformance test (test/unit/conformance.test.ts).
// The test builds each instance with seeded random weights of the shapes its parameter formula names, then checks
// the module against itself: formula vs the weights the forward pass reads, shape rule vs the forward pass's shape,
// the exported NumPy script (run by python3) vs the forward pass, and a hover signature. A registered class with
// no example here fails the test, so no kind can be half-registered.

export interface KindExample {
  /** The Keras class name, exactly as registered. */
  className: string;
  config: Record<string, unknown>;
  /** Full input shapes (batch first, every dim known), one per input tensor. */
  inputs: number[][];
  /** Inner layers of a wrapper (TimeDistributed, Bidirectional, RNN), as Keras nests them under `layer`/`cell`. */
  children?: KindExample[];
  /** Inputs are whole-number tokens below this (Embedding). */
  tokensBelow?: number;
  /** Keras major version of the file the example stands for; default 3. */
  kerasMajor?: 1 | 2 | 3;
  /** Why this class is exempt from a check, if it is (e.g. "no weights, nothing to export"); keyed by check. */
  exempt?: Partial<Record<'numpy' | 'python' | 'forward', string>>;
}

export const KIND_EXAMPLES: KindExample[] = [
  { className: 'SimpleRNN', config: { units: 4, return_sequences: true }, inputs: [[2, 5, 3]] },
  { className: 'LSTM', config: { units: 3 }, inputs: [[2, 4, 3]] },
  { className: 'GRU', config: { units: 3, reset_after: true }, inputs: [[2, 4, 2]] },
];

// The extension's settings as data, with their validation: no `vscode` import, so unit tests check the rules.
// extension/settings.ts reads VS Code's configuration through these. Names and defaults are fixed by
// package.json's contributes.configuration (a test checks the two agree).

export const SECTION = 'kerasRnnInspector';

export interface WholeNumberSpec {
  key: string;
  default: number;
  min: number;
  max: number;
}

export const SETTINGS = {
  /** T used for a model whose input has T = None (the input picker and the random/zero fills). */
  defaultTimeSteps: { key: 'defaultTimeSteps', default: 10, min: 1, max: 100_000 },
  /** Seed of the random input fill (the picker's seed prompt starts from it). */
  randomSeed: { key: 'randomSeed', default: 42, min: 0, max: 2 ** 32 - 1 },
  /** Significant digits of the numbers the panel shows in full (walk-through, tooltips); tables show at most 4. */
  digits: { key: 'digits', default: 6, min: 1, max: 17 },
  /** Ask before opening a model file larger than this many MB (0: never ask). */
  askBeforeOpeningMB: { key: 'askBeforeOpeningMB', default: 200, min: 0, max: 1_048_576 },
  /** Memory budget of one forward pass, in MB. */
  memoryLimitMB: { key: 'memoryLimitMB', default: 256, min: 16, max: 65_536 },
  /** Memory a run's kept trace may take, in MB; above it the run keeps checkpoints and recomputes what is shown. */
  traceMemoryLimitMB: { key: 'traceMemoryLimitMB', default: 512, min: 16, max: 65_536 },
} as const satisfies Record<string, WholeNumberSpec>;

export const OPEN_H5_KEY = 'openH5InInspector';
export const OPEN_H5_DEFAULT = false;

/** The value if it is a whole number within the spec's range, else the default (a string, NaN, 2.5, -3 …). */
export function wholeNumberSetting(value: unknown, spec: WholeNumberSpec): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < spec.min || value > spec.max) return spec.default;
  return value;
}

export function booleanSetting(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

/** The patterns the .h5 editor claims when openH5InInspector is on. */
export const H5_PATTERNS = ['*.h5', '*.hdf5'] as const;

/**
 * The new `workbench.editorAssociations` for openH5InInspector = `on`, or undefined when nothing changes. On: a
 * pattern nobody associated gets our editor; one the user gave to another editor is left alone. Off: only our own
 * entries are removed. The old array form of the setting is never rewritten.
 */
export function h5Associations(current: unknown, on: boolean, viewType: string): Record<string, string> | undefined {
  if (current !== undefined && current !== null && (typeof current !== 'object' || Array.isArray(current))) return undefined;
  const next: Record<string, string> = { ...((current ?? {}) as Record<string, string>) };
  let changed = false;
  for (const p of H5_PATTERNS) {
    if (on && next[p] === undefined) {
      next[p] = viewType;
      changed = true;
    } else if (!on && next[p] === viewType) {
      delete next[p];
      changed = true;
    }
  }
  return changed ? next : undefined;
}

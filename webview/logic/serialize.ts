// JSON-safe encoding of typed arrays for vscode.setState (which stores JSON): {"$t":"f64","d":[...]}.

type Tagged = { $t: 'f64' | 'f32' | 'i32' | 'u8'; d: number[] };

const TAGS: [string, new (d: number[]) => ArrayLike<number>][] = [
  ['f64', Float64Array as unknown as new (d: number[]) => ArrayLike<number>],
  ['f32', Float32Array as unknown as new (d: number[]) => ArrayLike<number>],
  ['i32', Int32Array as unknown as new (d: number[]) => ArrayLike<number>],
  ['u8', Uint8Array as unknown as new (d: number[]) => ArrayLike<number>],
];

function tagOf(v: unknown): Tagged['$t'] | null {
  if (v instanceof Float64Array) return 'f64';
  if (v instanceof Float32Array) return 'f32';
  if (v instanceof Int32Array) return 'i32';
  if (v instanceof Uint8Array) return 'u8';
  return null;
}

/** Replace typed arrays by tagged plain arrays (deep). */
export function encode(value: unknown): unknown {
  const tag = tagOf(value);
  if (tag) return { $t: tag, d: Array.from(value as ArrayLike<number>) };
  if (Array.isArray(value)) return value.map(encode);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = encode(v);
    return out;
  }
  return value;
}

/** Inverse of encode. */
export function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.$t === 'string' && Array.isArray(o.d)) {
      const ctor = TAGS.find(([t]) => t === o.$t)?.[1];
      if (ctor) return new ctor(o.d as number[]);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = decode(v);
    return out;
  }
  return value;
}

/** Number of typed-array elements inside `value` (to decide whether a result is small enough to keep). */
export function countNumbers(value: unknown, limit = Infinity): number {
  let n = 0;
  const walk = (v: unknown): void => {
    if (n > limit) return;
    if (tagOf(v)) n += (v as ArrayLike<number>).length;
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(value);
  return n;
}

// The few numeric types the layers share: dense row-major float64 tensors (weights are float32 in the
// file; computing in float64 keeps us within float32 rounding of Keras) and per-step masks.

import { InputError } from './errors';

export interface Tensor {
  shape: number[];
  data: Float64Array;
}

/** A time mask, N x T, 1 where the step is real and 0 where it is masked out. */
export interface Mask {
  n: number;
  t: number;
  data: Uint8Array;
}

export function tensor(shape: number[], data?: Float64Array | ArrayLike<number>): Tensor {
  let size = 1;
  for (const d of shape) {
    // Shapes reach here checked; a float or negative one is a bug, said in words rather than as a typed-array RangeError.
    if (!Number.isSafeInteger(d) || d < 0) throw new InputError(`A tensor of shape (${shape.join(', ')}) cannot exist: every size must be a whole number.`);
    size *= d;
  }
  if (!data && !Number.isSafeInteger(size)) throw new InputError(`A tensor of shape (${shape.join(', ')}) is too large to hold.`);
  const out = data instanceof Float64Array ? data : new Float64Array(data ? data.length : size);
  if (data && !(data instanceof Float64Array)) out.set(data as ArrayLike<number>);
  if (out.length !== size) throw new InputError(`The data has ${out.length} values but the shape (${shape.join(', ')}) needs ${size}.`);
  return { shape, data: out };
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Nested JS arrays (what JSON output and tests use) from a tensor. */
export function toNested(t: Tensor): unknown {
  const { shape, data } = t;
  if (shape.length === 0) return data[0];
  const build = (dim: number, offset: number): unknown[] => {
    const n = shape[dim];
    const stride = sizeOf(shape.slice(dim + 1));
    const out: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = dim === shape.length - 1 ? data[offset + i] : build(dim + 1, offset + i * stride);
    }
    return out;
  };
  return build(0, 0);
}

/** An IEEE 754 half-precision number (float16 weights in HDF5, `<f2` in .npy) as a JS number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/**
 * Reads one stored number of NumPy/HDF5 kind `f`/`i`/`u` and byte width from a DataView, or undefined for a
 * combination this tool does not read. Shared by HDF5 weights and .npy inputs.
 */
export function numberReader(view: DataView, kind: string, width: number, little: boolean): ((offset: number) => number) | undefined {
  switch (`${kind}${width}`) {
    case 'f2':
      return (o) => halfToFloat(view.getUint16(o, little));
    case 'f4':
      return (o) => view.getFloat32(o, little);
    case 'f8':
      return (o) => view.getFloat64(o, little);
    case 'i1':
      return (o) => view.getInt8(o);
    case 'i2':
      return (o) => view.getInt16(o, little);
    case 'i4':
      return (o) => view.getInt32(o, little);
    case 'i8':
      return (o) => Number(view.getBigInt64(o, little));
    case 'u1':
      return (o) => view.getUint8(o);
    case 'u2':
      return (o) => view.getUint16(o, little);
    case 'u4':
      return (o) => view.getUint32(o, little);
    case 'u8':
      return (o) => Number(view.getBigUint64(o, little));
    default:
      return undefined;
  }
}

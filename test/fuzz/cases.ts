// The fuzz cases: each is rebuilt from (run seed, case index) alone, so `--seed S --case N` reproduces it
// byte for byte. A case is a set of files written to a fresh folder (the model first) and what to check on it.

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Deflate, strToU8, unzipSync, zipSync } from 'fflate';
import { HOSTILE_STRINGS, kerasZip } from '../helpers/craft';
import { caseSeed, Rng } from './rng';

export const KINDS = [
  'bitflip',
  'truncate',
  'zeroed',
  'hdf5-header',
  'hdf5-btree',
  'zip-dir',
  'config-number',
  'config-type',
  'config-nesting',
  'config-cycle',
  'config-size',
  'bomb',
  'hostile-name',
  'hostile-h5',
] as const;
export type Kind = (typeof KINDS)[number];

// How often each kind comes round: one cycle of 25 cases, so even a short run meets every kind.
const SCHEDULE: Kind[] = (
  [
    ['bitflip', 3], ['truncate', 2], ['zeroed', 2], ['hdf5-header', 2], ['hdf5-btree', 2], ['zip-dir', 2],
    ['config-number', 2], ['config-type', 2], ['config-nesting', 1], ['config-cycle', 1], ['config-size', 1],
    ['bomb', 1], ['hostile-name', 3], ['hostile-h5', 1],
  ] as [Kind, number][]
).flatMap(([k, n]) => Array<Kind>(n).fill(k));

export function kindOf(index: number): Kind {
  return SCHEDULE[index % SCHEDULE.length];
}

export interface CaseFile {
  name: string;
  bytes?: Uint8Array;
  /** A sparse file of this many bytes whose tail is `bytes` (a > 2 GB file that costs no disk). */
  sparseSize?: number;
  /** A symbolic link to this path instead of a file (/dev/zero), or 'fifo' for a named pipe no one writes. */
  linkTo?: string;
}

export interface FuzzCase {
  seed: number;
  index: number;
  kind: Kind;
  /** What was done, in a few words (shown for failing cases). */
  label: string;
  /** The model file is files[0]; others sit beside it (an architecture JSON). */
  files: CaseFile[];
  /** Names from the file are hostile: export the NumPy script, run it with python3, and check every output. */
  hostile: boolean;
  /** Also run the CLI (summary, summary --json, forward --json, forward --numpy) on it. */
  cli: boolean;
}

// ---------------------------------------------------------------------------------------------
// The corpus: every file of the shared models, the golden models and the second model set

export const repoRoot = path.resolve(process.env.KRI_REPO_ROOT ?? path.resolve(__dirname, '../..'));
export const sharedDir = path.resolve(repoRoot, '../shared');
const corpusDirs = ['models/files', 'golden', 'models2/files'].map((d) => path.join(sharedDir, d));

let corpusCache: string[] | undefined;
export function corpus(): string[] {
  corpusCache ??= corpusDirs.filter(existsSync).flatMap((d) => readdirSync(d).sort().map((f) => path.join(d, f)));
  return corpusCache;
}

const bytesCache = new Map<string, Uint8Array>();
function readBytes(file: string): Uint8Array {
  let b = bytesCache.get(file);
  if (!b) bytesCache.set(file, (b = new Uint8Array(readFileSync(file))));
  return b;
}

const HDF5_SIG = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const isZip = (b: Uint8Array) => b[0] === 0x50 && b[1] === 0x4b;

function indexOfBytes(hay: Uint8Array, needle: readonly number[], from = 0): number {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.length).indexOf(Buffer.from(needle), from);
}
const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

/** Every offset of an ASCII signature in the bytes. */
function findAll(b: Uint8Array, sig: string): number[] {
  const out: number[] = [];
  const n = ascii(sig);
  for (let i = indexOfBytes(b, n); i >= 0; i = indexOfBytes(b, n, i + 1)) out.push(i);
  return out;
}

/** The HDF5 superblock offset (0, 512, 1024, ... or inside a stored zip member), or -1. */
function hdf5Start(b: Uint8Array): number {
  return indexOfBytes(b, HDF5_SIG);
}

/** Files the model is read with: the weights-only .h5 needs its architecture JSON beside it. */
function companions(file: string): CaseFile[] {
  const cfg = file.replace(/\.h5$/, '.config.json');
  return cfg !== file && existsSync(cfg) ? [{ name: path.basename(cfg), bytes: readBytes(cfg) }] : [];
}

// ---------------------------------------------------------------------------------------------
// Byte mutations

function writeUint(b: Uint8Array, at: number, width: number, value: number): void {
  let v = Math.max(0, Math.floor(value));
  for (let i = 0; i < width && at + i < b.length; i++) {
    b[at + i] = v % 256;
    v = Math.floor(v / 256);
  }
}
function readUint(b: Uint8Array, at: number, width: number): number {
  let v = 0;
  for (let i = width - 1; i >= 0; i--) v = v * 256 + (b[at + i] ?? 0);
  return v;
}

/** A value an attacker or a broken writer puts in a size, count or address field. */
function nastyValue(r: Rng, width: number, old: number, fileSize: number, addresses: number[]): [number, string] {
  const max = width >= 7 ? 2 ** 53 : 2 ** (8 * width) - 1;
  const choices: [number, string][] = [
    [0, '0'],
    [1, '1'],
    [max, 'max'],
    [max - 1, 'max-1'],
    [Math.min(max, old + 1), 'old+1'],
    [Math.max(0, old - 1), 'old-1'],
    [Math.min(max, old * 2 + 7), 'old*2+7'],
    [Math.min(max, fileSize), 'file size'],
    [Math.min(max, fileSize + 4096), 'past end'],
    [Math.min(max, 2 ** 31), '2^31'],
    [Math.min(max, 2 ** 32 + 8), '2^32+8'],
    [r.int(0, Math.min(max, fileSize + 1)), 'random in file'],
    [r.int(0, 2 ** 31) % (max + 1), 'random'],
  ];
  if (addresses.length) {
    const a = r.pick(addresses);
    choices.push([Math.min(max, a), 'another structure'], [Math.min(max, a), 'another structure']);
  }
  return r.pick(choices);
}

function bitflip(r: Rng, src: Uint8Array): [Uint8Array, string] {
  const b = src.slice();
  const n = r.int(1, 9);
  const head = r.chance(0.5);
  const span = head ? Math.min(b.length, 8192) : b.length;
  const at: number[] = [];
  for (let i = 0; i < n && b.length; i++) {
    const p = r.int(0, span);
    b[p] ^= 1 << r.int(0, 8);
    at.push(p);
  }
  return [b, `${n} bit flips at ${at.slice(0, 4).join(',')}${at.length > 4 ? ',…' : ''}`];
}

function truncate(r: Rng, src: Uint8Array): [Uint8Array, string] {
  const len = r.pick([0, 1, 7, 8, 16, 64, 100, 512, 1024, 2048, r.int(0, 4096), r.int(0, src.length), src.length - 1, src.length - 22, src.length >> 1]);
  const n = Math.max(0, Math.min(src.length, len));
  return [src.slice(0, n), `truncated to ${n} of ${src.length} bytes`];
}

function zeroed(r: Rng, src: Uint8Array): [Uint8Array, string] {
  const b = src.slice();
  const len = r.pick([1, 4, 8, 16, 64, 512, 4096, r.int(1, 65536)]);
  const at = r.chance(0.5) ? r.int(0, Math.min(b.length, 4096)) : r.int(0, Math.max(1, b.length));
  b.fill(r.chance(0.8) ? 0 : 0xff, at, at + len);
  return [b, `${len} bytes ${b[at] === 0xff ? 'set to 0xFF' : 'zeroed'} at ${at}`];
}

// ---------------------------------------------------------------------------------------------
// HDF5 structure: superblock fields, object header messages, B-trees, heaps, symbol nodes

interface H5Fields {
  base: number;
  o: number;
  fields: [string, number, number][];
  rootHeader: number;
}

function superblock(b: Uint8Array, base: number): H5Fields {
  const version = b[base + 8];
  if (version >= 2) {
    const o = b[base + 9] || 8;
    const at = base + 12;
    return {
      base,
      o,
      rootHeader: base + readUint(b, at + 3 * o, o),
      fields: [
        ['version', base + 8, 1], ['size of offsets', base + 9, 1], ['size of lengths', base + 10, 1], ['flags', base + 11, 1],
        ['base address', at, o], ['extension address', at + o, o], ['end of file address', at + 2 * o, o], ['root object header address', at + 3 * o, o],
      ],
    };
  }
  const o = b[base + 13] || 8;
  const at = base + (version === 1 ? 28 : 24);
  return {
    base,
    o,
    rootHeader: base + readUint(b, at + 4 * o + o, o),
    fields: [
      ['version', base + 8, 1], ['size of offsets', base + 13, 1], ['size of lengths', base + 14, 1],
      ['group leaf K', base + 16, 2], ['group internal K', base + 18, 2], ['consistency flags', base + 20, 4],
      ['base address', at, o], ['free-space address', at + o, o], ['end of file address', at + 2 * o, o], ['driver info address', at + 3 * o, o],
      ['root link name offset', at + 4 * o, o], ['root object header address', at + 5 * o, o], ['root cache type', at + 6 * o, 4],
      ['root B-tree address', at + 6 * o + 8, o], ['root heap address', at + 7 * o + 8, o],
    ],
  };
}

/** Object header addresses: the root's, every symbol table entry's, and every v2 'OHDR'. */
function objectHeaders(b: Uint8Array, sb: H5Fields): number[] {
  const out = new Set<number>([sb.rootHeader]);
  for (const s of findAll(b, 'SNOD')) {
    const n = readUint(b, s + 6, 2);
    for (let k = 0; k < Math.min(n, 64); k++) {
      const e = s + 8 + k * (2 * sb.o + 24);
      const a = sb.base + readUint(b, e + sb.o, sb.o);
      if (a > 0 && a < b.length) out.add(a);
    }
  }
  for (const s of findAll(b, 'OHDR')) out.add(s);
  return [...out].filter((a) => a >= 0 && a < b.length);
}

/** The messages of a version 1 object header: [type, offset of the message header, data size]. */
function v1Messages(b: Uint8Array, at: number): [number, number, number][] {
  if (b[at] !== 1) return [];
  const n = readUint(b, at + 2, 2);
  const size = readUint(b, at + 8, 4);
  const out: [number, number, number][] = [];
  let p = at + 16;
  for (let k = 0; k < n && p + 8 <= Math.min(b.length, at + 16 + size); k++) {
    const len = readUint(b, p + 2, 2);
    out.push([readUint(b, p, 2), p, len]);
    p += 8 + len;
  }
  return out;
}

function hdf5Header(r: Rng, src: Uint8Array): [Uint8Array, string] {
  const b = src.slice();
  const base = hdf5Start(b);
  if (base < 0) return bitflip(r, src);
  const sb = superblock(b, base);
  const headers = objectHeaders(b, sb);
  const addresses = [...headers, ...findAll(b, 'TREE'), ...findAll(b, 'HEAP')].map((a) => a - base);
  if (r.chance(0.4)) {
    const [name, at, width] = r.pick(sb.fields);
    const [v, how] = nastyValue(r, width, readUint(b, at, width), b.length, addresses);
    writeUint(b, at, width, v);
    return [b, `superblock ${name} := ${how} (${v})`];
  }
  const h = r.pick(headers);
  const msgs = v1Messages(b, h);
  if (msgs.length === 0 || r.chance(0.15)) {
    // The object header's own prefix (version, message count, size) or a v2 header's first bytes.
    const at = h + r.pick([0, 2, 4, 8, 12, 16, 20]);
    const width = r.pick([1, 2, 4]);
    const [v, how] = nastyValue(r, width, readUint(b, at, width), b.length, addresses);
    writeUint(b, at, width, v);
    return [b, `object header @${h} +${at - h} := ${how}`];
  }
  // Prefer the messages that size things: dataspace (1), datatype (3), layout (8), attribute (12).
  const sizing = msgs.filter(([t]) => t === 1 || t === 3 || t === 8 || t === 12);
  const [type, at, len] = sizing.length && r.chance(0.7) ? r.pick(sizing) : r.pick(msgs);
  const where = r.int(0, 4);
  if (where === 0) {
    const [v, how] = nastyValue(r, 2, type, b.length, []);
    writeUint(b, at, 2, r.chance(0.5) ? r.int(0, 0x19) : v);
    return [b, `message type ${type} @${at}: type changed (${how})`];
  }
  if (where === 1) {
    const [v, how] = nastyValue(r, 2, len, b.length, []);
    writeUint(b, at + 2, 2, v);
    return [b, `message type ${type} @${at}: size := ${how}`];
  }
  // The data: for a dataspace the dims (after 8 bytes of version, rank, flags), else anywhere in the first 32 bytes.
  const off = type === 1 ? 8 + 8 * r.int(0, Math.max(1, b[at + 9] || 1)) : r.int(0, Math.max(1, Math.min(len, 32)));
  const width = type === 1 ? 8 : r.pick([1, 2, 4, 8]);
  const [v, how] = nastyValue(r, width, readUint(b, at + 8 + off, width), b.length, addresses);
  writeUint(b, at + 8 + off, width, v);
  return [b, `message type ${type} @${at}: data +${off} (${width} bytes) := ${how} (${v})`];
}

function hdf5Btree(r: Rng, src: Uint8Array): [Uint8Array, string] {
  const b = src.slice();
  const base = hdf5Start(b);
  if (base < 0) return bitflip(r, src);
  const sb = superblock(b, base);
  const o = sb.o;
  const trees = findAll(b, 'TREE');
  const heaps = findAll(b, 'HEAP');
  const snods = findAll(b, 'SNOD');
  const others = ['BTHD', 'BTIN', 'BTLF', 'FRHP', 'FHDB', 'FHIB', 'GCOL', 'OHDR', 'OCHK'].flatMap((s) => findAll(b, s).map((a) => [s, a] as [string, number]));
  const headers = objectHeaders(b, sb);
  const addresses = [...trees, ...heaps, ...snods, ...headers].map((a) => a - base);
  const kinds = [trees.length && 'TREE', heaps.length && 'HEAP', snods.length && 'SNOD', others.length && 'other'].filter(Boolean) as string[];
  if (kinds.length === 0) return hdf5Header(r, src);
  const what = r.pick(kinds);
  if (what === 'TREE') {
    const t = r.pick(trees);
    const used = readUint(b, t + 6, 2);
    const fields: [string, number, number][] = [
      ['node type', t + 4, 1], ['level', t + 5, 1], ['entries used', t + 6, 2], ['left sibling', t + 8, o], ['right sibling', t + 8 + o, o],
    ];
    // Group B-tree keys are heap offsets (8 bytes) between child addresses.
    for (let k = 0; k < Math.min(used, 8); k++) fields.push([`key ${k}`, t + 8 + 2 * o + k * (8 + o), 8], [`child ${k}`, t + 8 + 2 * o + 8 + k * (8 + o), o]);
    const [name, at, width] = r.pick(fields);
    if (name.startsWith('child') && r.chance(0.5)) {
      // A DAG or a cycle: the child is this node itself, another B-tree node, or the root's.
      const target = r.pick([t, ...trees]) - base;
      writeUint(b, at, width, target);
      return [b, `B-tree @${t} ${name} := B-tree @${target + base} (${target + base === t ? 'cycle' : 'DAG'})`];
    }
    const [v, how] = nastyValue(r, width, readUint(b, at, width), b.length, addresses);
    writeUint(b, at, width, v);
    return [b, `B-tree @${t} ${name} := ${how} (${v})`];
  }
  if (what === 'HEAP') {
    const h = r.pick(heaps);
    const fields: [string, number, number][] = [['version', h + 4, 1], ['data segment size', h + 8, 8], ['free list offset', h + 16, 8], ['data segment address', h + 24, o]];
    const [name, at, width] = r.pick(fields);
    const [v, how] = nastyValue(r, width, readUint(b, at, width), b.length, addresses);
    writeUint(b, at, width, v);
    return [b, `local heap @${h} ${name} := ${how} (${v})`];
  }
  if (what === 'SNOD') {
    const s = r.pick(snods);
    const n = Math.max(1, readUint(b, s + 6, 2));
    const k = r.int(0, Math.min(n, 16));
    const e = s + 8 + k * (2 * o + 24);
    if (r.chance(0.4)) {
      // A hard-link cycle: a group's entry points back at the root group (or at this node's own header).
      const target = r.pick([sb.rootHeader, ...headers]) - base;
      writeUint(b, e + o, o, target);
      return [b, `symbol node @${s} entry ${k} object header := @${target + base} (hard-link cycle or DAG)`];
    }
    const fields: [string, number, number][] = [['version', s + 4, 1], ['symbol count', s + 6, 2], [`entry ${k} name offset`, e, o], [`entry ${k} object header`, e + o, o], [`entry ${k} cache type`, e + 2 * o, 4], [`entry ${k} scratch B-tree`, e + 2 * o + 8, o], [`entry ${k} scratch heap`, e + 3 * o + 8, o]];
    const [name, at, width] = r.pick(fields);
    const [v, how] = nastyValue(r, width, readUint(b, at, width), b.length, addresses);
    writeUint(b, at, width, v);
    return [b, `symbol node @${s} ${name} := ${how} (${v})`];
  }
  const [sig, a] = r.pick(others);
  const at = a + r.int(4, 40);
  const width = r.pick([1, 2, 4, 8]);
  const [v, how] = nastyValue(r, width, readUint(b, at, width), b.length, addresses);
  writeUint(b, at, width, v);
  return [b, `${sig} @${a} +${at - a} (${width} bytes) := ${how}`];
}

// ---------------------------------------------------------------------------------------------
// Zip directories

function zipDir(r: Rng, src: Uint8Array): [Uint8Array, string] {
  let b = src.slice();
  const eocds = findAll(b, 'PK\x05\x06');
  if (eocds.length === 0) return bitflip(r, src);
  const e = eocds[eocds.length - 1];
  const centrals = findAll(b, 'PK\x01\x02');
  const locals = findAll(b, 'PK\x03\x04');
  const addresses = [...centrals, ...locals, e];
  const fields: [string, number, number][] = [
    ['EOCD disk number', e + 4, 2], ['EOCD directory disk', e + 6, 2], ['EOCD entries on disk', e + 8, 2], ['EOCD total entries', e + 10, 2],
    ['EOCD directory size', e + 12, 4], ['EOCD directory offset', e + 16, 4], ['EOCD comment length', e + 20, 2],
  ];
  for (const c of centrals) {
    fields.push(
      [`central @${c} flags`, c + 8, 2], [`central @${c} method`, c + 10, 2], [`central @${c} compressed size`, c + 20, 4],
      [`central @${c} uncompressed size`, c + 24, 4], [`central @${c} name length`, c + 28, 2], [`central @${c} extra length`, c + 30, 2],
      [`central @${c} comment length`, c + 32, 2], [`central @${c} local header offset`, c + 42, 4],
    );
  }
  for (const l of locals) {
    fields.push([`local @${l} method`, l + 8, 2], [`local @${l} compressed size`, l + 18, 4], [`local @${l} uncompressed size`, l + 22, 4], [`local @${l} name length`, l + 26, 2], [`local @${l} extra length`, l + 28, 2]);
  }
  const mode = r.int(0, 10);
  if (mode === 0 && centrals.length) {
    // A member name: a path out of the folder, a NUL, a link, a control character, or another member's name.
    const c = r.pick(centrals);
    const len = readUint(b, c + 28, 2);
    const names = ['../config.json', 'config.json\0', '[x](command:workbench.action.terminal.new)', '\u001b[2Jx', 'metadata.json', 'model.weights.h5', 'CONFIG.JSON', '/etc/passwd'];
    const name = strToU8(r.pick(names));
    const out = new Uint8Array(b.length - len + name.length);
    out.set(b.subarray(0, c + 46));
    out.set(name, c + 46);
    out.set(b.subarray(c + 46 + len), c + 46 + name.length);
    writeUint(out, c + 28, 2, name.length);
    const delta = name.length - len;
    writeUint(out, e + delta + 12, 4, readUint(b, e + 12, 4) + delta);
    return [out, `central @${c} name := ${JSON.stringify(new TextDecoder().decode(name))}`];
  }
  if (mode === 1) {
    // The zip64 marker in a size or offset, with no zip64 record to back it.
    const [name, at] = r.pick(fields.filter(([, , w]) => w === 4));
    writeUint(b, at, 4, 0xffffffff);
    return [b, `${name} := 0xFFFFFFFF (zip64 marker)`];
  }
  if (mode === 2 && locals.length > 1) {
    b = b.slice(0, r.pick(locals) + 30 + r.int(0, 64));
    return [b, `cut inside a member (${b.length} bytes left), directory gone`];
  }
  const [name, at, width] = r.pick(fields);
  const [v, how] = nastyValue(r, width, readUint(b, at, width), b.length, addresses);
  writeUint(b, at, width, v);
  return [b, `${name} := ${how} (${v})`];
}

// ---------------------------------------------------------------------------------------------
// Configs

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The .keras models whose config gets mutated, with their real weights. */
function kerasBases(): string[] {
  return corpus().filter((f) => f.endsWith('.keras') && !/malicious/.test(f));
}

function readKeras(file: string): { config: any; metadata: any; weights: Uint8Array | null } {
  const m = unzipSync(readBytes(file));
  const text = (n: string) => (m[n] ? JSON.parse(new TextDecoder().decode(m[n])) : undefined);
  return { config: text('config.json'), metadata: text('metadata.json') ?? { keras_version: '3.6.0' }, weights: m['model.weights.h5'] ?? null };
}

const goldenBFile = () => path.join(sharedDir, 'golden', 'b_simplernn5_tanh.keras');
const goldenB = () => readKeras(goldenBFile());

/** Golden model b as a Keras 3 functional graph (input_layer → simple_rnn → dense), same weights. */
function goldenBFunctional(): { config: any; metadata: any; weights: Uint8Array | null } {
  const b = goldenB();
  const hist = (layer: string, shape: (number | null)[]) => ({ class_name: '__keras_tensor__', config: { shape, dtype: 'float32', keras_history: [layer, 0, 0] } });
  const [inp, rnn, dense] = b.config.config.layers;
  const layers = [
    { ...inp, name: inp.config.name, inbound_nodes: [] },
    { ...rnn, name: rnn.config.name, inbound_nodes: [{ args: [hist(inp.config.name, [null, 10, 3])], kwargs: {} }] },
    { ...dense, name: dense.config.name, inbound_nodes: [{ args: [hist(rnn.config.name, [null, 5])], kwargs: {} }] },
  ];
  return {
    ...b,
    config: {
      module: 'keras.src.models.functional',
      class_name: 'Functional',
      config: { name: 'functional', trainable: true, layers, input_layers: [[inp.config.name, 0, 0]], output_layers: [[dense.config.name, 0, 0]] },
      registered_name: 'Functional',
    },
  };
}

/** Every path into a JSON value, with the value there. */
function paths(v: Json, at: (string | number)[] = [], out: [(string | number)[], Json][] = []): [(string | number)[], Json][] {
  out.push([at, v]);
  if (out.length > 20000) return out;
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

function setAt(root: Json, at: (string | number)[], value: Json | undefined): void {
  let o: any = root;
  for (const k of at.slice(0, -1)) o = o[k];
  const last = at[at.length - 1];
  if (value === undefined) {
    if (Array.isArray(o)) o.splice(last as number, 1);
    else delete o[last];
  } else o[last] = value;
}

// Numbers JSON cannot say are written as markers and swapped in the text afterwards (Python's json writes NaN).
const RAW = (s: string) => `\u0000RAW:${s}\u0000`;
function jsonText(v: unknown): string {
  return JSON.stringify(v).replace(/"\\u0000RAW:([^\\]*)\\u0000"/g, '$1');
}

const SIZING_KEYS = /^(units|batch_shape|batch_input_shape|input_shape|shape|filters|kernel_size|strides|dilation_rate|input_dim|output_dim|n|target_shape|dims|axis|pool_size|input_length|size|num_heads|key_dim|rate|padding)$/;

function nastyNumber(r: Rng): [Json, string] {
  return r.pick<[Json, string]>([
    [-1, '-1'], [0, '0'], [1.5, '1.5'], [2.5e-8, '2.5e-8'], [1e9, '1e9'], [1e300, '1e300'], [2 ** 31, '2^31'], [2 ** 32 + 1, '2^32+1'],
    [2 ** 53 + 2, '2^53+2'], [-(2 ** 31), '-2^31'], [RAW('NaN'), 'NaN'], [RAW('Infinity'), 'Infinity'], [RAW('-Infinity'), '-Infinity'],
    ['NaN', '"NaN"'], ['1e9', '"1e9"'], ['5', '"5"'], [30000, '30000'], [1e5, '1e5'],
  ]);
}

function otherType(r: Rng, v: Json): [Json | undefined, string] {
  const all: [Json | undefined, string][] = [
    ['x', 'a string'], ['', 'an empty string'], ['1', '"1"'], [0, '0'], [-1, '-1'], [1e9, '1e9'], [{}, '{}'], [{ class_name: 'Dense' }, '{class_name}'],
    [[], '[]'], [[null], '[null]'], [[[[]]], '[[[]]]'], [null, 'null'], [true, 'true'], [false, 'false'], [undefined, 'removed'],
  ];
  return r.pick(all.filter(([x]) => typeof x !== typeof v || Array.isArray(x) !== Array.isArray(v)));
}

interface Base {
  name: string;
  config: any;
  metadata: any;
  weights: Uint8Array | null;
  /** A weights-only .h5 whose architecture JSON is mutated instead of a .keras config. */
  h5?: { file: string; configName: string };
}

function pickBase(r: Rng): Base {
  const c = r.int(0, 10);
  if (c < 3) return { name: 'golden b', ...goldenB() };
  if (c < 5) return { name: 'golden b functional', ...goldenBFunctional() };
  const patalt = corpus().find((f) => f.endsWith('patalt-simplernn-weights.h5'));
  if (c === 5 && patalt) {
    const configName = 'patalt-simplernn-weights.config.json';
    return { name: 'patalt weights + architecture JSON', config: JSON.parse(new TextDecoder().decode(readBytes(patalt.replace(/\.h5$/, '.config.json')))), metadata: null, weights: readBytes(patalt), h5: { file: 'patalt-simplernn-weights.h5', configName } };
  }
  const f = r.pick(kerasBases());
  return { name: path.basename(f), ...readKeras(f) };
}

function baseFiles(base: Base, configText: string, modelName = 'model.keras'): CaseFile[] {
  if (base.h5) return [{ name: base.h5.file, bytes: base.weights! }, { name: base.h5.configName, bytes: strToU8(configText) }];
  return [{ name: modelName, bytes: kerasZip({ config: {}, metadata: base.metadata, weights: base.weights, extra: { 'config.json': strToU8(configText) } }) }];
}

function configNumber(r: Rng): [CaseFile[], string] {
  const base = pickBase(r);
  const all = paths(base.config).filter(([at, v]) => typeof v === 'number' || (v === null && typeof at[at.length - 1] === 'number'));
  const sizing = all.filter(([at]) => at.some((k) => typeof k === 'string' && SIZING_KEYS.test(k)));
  const pool = sizing.length && r.chance(0.7) ? sizing : all;
  if (pool.length === 0) return [baseFiles(base, jsonText(base.config)), `${base.name} unchanged (no numbers)`];
  const [at] = r.pick(pool);
  const [v, how] = nastyNumber(r);
  setAt(base.config, at, v);
  return [baseFiles(base, jsonText(base.config)), `${base.name}: ${at.join('.')} := ${how}`];
}

function configType(r: Rng): [CaseFile[], string] {
  const base = pickBase(r);
  const all = paths(base.config).filter(([at]) => at.length > 0);
  const [at, old] = r.pick(all);
  const [v, how] = otherType(r, old);
  setAt(base.config, at, v);
  return [baseFiles(base, jsonText(base.config)), `${base.name}: ${at.join('.')} := ${how}`];
}

// Nesting is written as text (prefix + core + suffix) so 20,000 levels never recurse in JSON.stringify here.
const NEST_DEPTHS = [1, 2, 3, 5, 10, 24, 30, 63, 64, 65, 100, 1000, 20000];

function configNesting(r: Rng): [CaseFile[], string] {
  const b = goldenB();
  const [inp, rnn, dense] = b.config.config.layers;
  const depth = r.pick(NEST_DEPTHS);
  const how = r.pick(['Sequential', 'TimeDistributed', 'Bidirectional', 'mixed']);
  let pre = '';
  let post = '';
  for (let k = 0; k < depth; k++) {
    const w = how === 'mixed' ? ['Sequential', 'TimeDistributed', 'Bidirectional'][k % 3] : how;
    if (w === 'Sequential') {
      pre += `{"module":"keras","class_name":"Sequential","config":{"name":"seq_${k}","layers":[`;
      post = `]}}` + post;
    } else {
      pre += `{"module":"keras.layers","class_name":"${w}","config":{"name":"${w.toLowerCase()}_${k}",${w === 'Bidirectional' ? '"merge_mode":"concat",' : ''}"layer":`;
      post = `}}` + post;
    }
  }
  const inner = how === 'TimeDistributed' ? { ...dense, config: { ...dense.config, name: 'inner_dense' } } : { ...rnn, config: { ...rnn.config, name: 'inner_rnn', return_sequences: true } };
  const nested = pre + JSON.stringify(inner) + post;
  const root = JSON.stringify({ ...b.config, config: { ...b.config.config, layers: ['@@'] } }).replace('"@@"', `${JSON.stringify(inp)},${nested},${JSON.stringify(dense)}`);
  return [[{ name: 'model.keras', bytes: kerasZip({ config: {}, metadata: b.metadata, weights: b.weights, extra: { 'config.json': strToU8(root) } }) }], `${how} nested ${depth} deep`];
}

function configCycle(r: Rng): [CaseFile[], string] {
  const f = goldenBFunctional();
  const layers = f.config.config.layers;
  const [inp, rnn, dense] = layers;
  const hist = (layer: string, node = 0, tensor = 0) => ({ class_name: '__keras_tensor__', config: { shape: [null, 10, 3], dtype: 'float32', keras_history: [layer, node, tensor] } });
  const feed = (l: any, ...from: any[]) => (l.inbound_nodes = [{ args: from.length === 1 ? from : [from], kwargs: {} }]);
  const variant = r.int(0, 12);
  let label: string;
  switch (variant) {
    case 0: feed(rnn, hist(rnn.name)); label = 'simple_rnn feeds itself'; break;
    case 1: feed(rnn, hist(dense.name)); label = 'simple_rnn ← dense ← simple_rnn (2-cycle)'; break;
    case 2: feed(inp, hist(dense.name)); label = 'the input layer is fed by the output'; break;
    case 3: feed(rnn, hist('no_such_layer')); label = 'inbound from a layer that does not exist'; break;
    case 4: feed(rnn, hist(inp.name, 5, 0)); label = 'inbound node index 5 of a layer called once'; break;
    case 5: feed(rnn, hist(inp.name, 0, 1e9)); label = 'inbound tensor index 1e9'; break;
    case 6: feed(rnn, hist(inp.name, -1, -1)); label = 'negative node and tensor indices'; break;
    case 7: f.config.config.output_layers = [[rnn.name, 0, 0], [rnn.name, 0, 0], ['ghost', 0, 0]]; label = 'output_layers name a missing layer'; break;
    case 8: f.config.config.input_layers = [[dense.name, 0, 0]]; label = 'input_layers name a non-input layer'; break;
    case 9: {
      // A long cycle through many activations.
      const n = r.pick([10, 1000, 5000]);
      const acts = Array.from({ length: n }, (_, k) => ({ module: 'keras.layers', class_name: 'Activation', name: `act_${k}`, config: { name: `act_${k}`, activation: 'linear' }, inbound_nodes: [] as any[] }));
      acts.forEach((a, k) => feed(a, hist(k === 0 ? acts[n - 1].name : acts[k - 1].name)));
      feed(dense, hist(acts[n - 1].name));
      layers.splice(2, 0, ...acts);
      label = `a cycle through ${n} activations`;
      break;
    }
    case 10: {
      // A diamond DAG 40 levels deep: every Add reads the previous level twice (exponential if walked naively).
      const n = r.pick([30, 40, 60]);
      const adds: any[] = [];
      for (let k = 0; k < n; k++) {
        const prev = k === 0 ? rnn.name : adds[k - 1].name;
        const a = { module: 'keras.layers', class_name: 'Add', name: `add_${k}`, config: { name: `add_${k}` }, inbound_nodes: [] as any[] };
        feed(a, hist(prev), hist(prev));
        adds.push(a);
      }
      rnn.config.return_sequences = false;
      feed(dense, hist(adds[n - 1].name));
      layers.splice(2, 0, ...adds);
      label = `a diamond DAG of ${n} Add levels`;
      break;
    }
    default: {
      feed(rnn, hist(rnn.name, 0, 0));
      feed(dense, hist(dense.name));
      f.config.config.output_layers = [[dense.name, 0, 0]];
      label = 'every layer feeds itself';
    }
  }
  return [[{ name: 'model.keras', bytes: kerasZip({ config: f.config, metadata: f.metadata, weights: f.weights }) }], label];
}

function configSize(r: Rng): [CaseFile[], string] {
  const b = goldenB();
  const [inp, rnn, dense] = b.config.config.layers;
  const n = r.pick([19_999, 20_000, 20_001, 100_000]);
  const variant = r.int(0, 4);
  let label: string;
  let text: string;
  if (variant === 0) {
    // A Sequential of n linear activations between the RNN and the Dense.
    const act = (k: number) => `{"module":"keras.layers","class_name":"Activation","config":{"name":"act_${k}","activation":"linear"}}`;
    text = JSON.stringify({ ...b.config, config: { ...b.config.config, layers: ['@@'] } }).replace('"@@"', [JSON.stringify(inp), JSON.stringify(rnn), ...Array.from({ length: n }, (_, k) => act(k)), JSON.stringify(dense)].join(','));
    label = `Sequential with ${n} Activation layers`;
  } else if (variant === 1) {
    // A functional chain of n activations (the execution order must not be quadratic).
    const h = (l: string) => `{"args":[{"class_name":"__keras_tensor__","config":{"shape":[null,5],"dtype":"float32","keras_history":["${l}",0,0]}}],"kwargs":{}}`;
    const f = goldenBFunctional();
    const [fi, fr, fd] = f.config.config.layers;
    const acts = Array.from({ length: n }, (_, k) => `{"module":"keras.layers","class_name":"Activation","name":"act_${k}","config":{"name":"act_${k}","activation":"linear"},"inbound_nodes":[${h(k === 0 ? fr.name : `act_${k - 1}`)}]}`);
    fd.inbound_nodes = '@@IN';
    text = JSON.stringify({ ...f.config, config: { ...f.config.config, layers: ['@@'] } })
      .replace('"@@"', [JSON.stringify(fi), JSON.stringify(fr), ...acts, JSON.stringify(fd)].join(','))
      .replace('"@@IN"', `[${h(`act_${n - 1}`)}]`);
    label = `functional chain of ${n} Activation layers`;
  } else if (variant === 2) {
    // One Concatenate of n inputs.
    const f = goldenBFunctional();
    const [fi, fr] = f.config.config.layers;
    const h = `{"class_name":"__keras_tensor__","config":{"shape":[null,5],"dtype":"float32","keras_history":["${fr.name}",0,0]}}`;
    const cat = `{"module":"keras.layers","class_name":"Concatenate","name":"cat","config":{"name":"cat","axis":-1},"inbound_nodes":[{"args":[[${Array(n).fill(h).join(',')}]],"kwargs":{}}]}`;
    text = JSON.stringify({ ...f.config, config: { ...f.config.config, layers: ['@@'], output_layers: [['cat', 0, 0]] } }).replace('"@@"', [JSON.stringify(fi), JSON.stringify(fr), cat].join(','));
    label = `Concatenate of ${n} copies of one tensor`;
  } else {
    // A 1 MB layer name.
    rnn.config.name = 'n'.repeat(1 << 20);
    text = JSON.stringify(b.config);
    label = 'a 1 MB layer name';
  }
  return [[{ name: 'model.keras', bytes: kerasZip({ config: {}, metadata: b.metadata, weights: b.weights, extra: { 'config.json': strToU8(text) } }) }], label];
}

// ---------------------------------------------------------------------------------------------
// Bombs: ratios near the inflate guard, sizes the directory lies about, huge claimed dims, T = 1e9, sparse > 2 GB

/** Deflated bytes of `size` bytes of JSON-safe text that inflate at roughly `ratio`:1, built in 1 MB chunks. */
const deflateCache = new Map<string, { bytes: Uint8Array; crc: number; size: number }>();
function ratioMember(size: number, ratio: number, headB: Uint8Array, tailB: Uint8Array): { bytes: Uint8Array; crc: number; size: number } {
  const key = `ratio-${size}-${ratio}-${crc32(0, headB).toString(16)}-${crc32(0, tailB).toString(16)}`;
  const hit = deflateCache.get(key);
  if (hit) return hit;
  // Built once per machine: the members are the same bytes every time (fixed seeds), so they are kept on disk.
  const cached = path.join(repoRoot, 'test-artifacts', 'fuzz', 'cache', `${key}.bin`);
  if (existsSync(cached)) {
    const buf = new Uint8Array(readFileSync(cached));
    const out = { bytes: buf.subarray(4), crc: new DataView(buf.buffer, buf.byteOffset).getUint32(0, true), size };
    deflateCache.set(key, out);
    return out;
  }
  // One random letter every `gap` spaces; the gap is found on a 256 KB sample.
  const chunkOf = (gap: number, n: number, seed: number) => {
    const r = new Rng(seed);
    const c = new Uint8Array(n).fill(0x20);
    for (let i = 0; i < n; i += gap) c[i] = 0x61 + r.int(0, 26);
    return c;
  };
  let lo = 1, hi = 4096;
  for (let it = 0; it < 14; it++) {
    const mid = Math.floor((lo + hi) / 2);
    const sample = chunkOf(mid, 1 << 18, 1);
    const got = sample.length / deflateSizeOf(sample);
    if (got < ratio) lo = mid + 1;
    else hi = mid;
  }
  const parts: Uint8Array[] = [];
  const d = new Deflate({ level: 1 }, (chunk) => parts.push(chunk));
  const body = size - headB.length - tailB.length;
  let crc = crc32(0, headB);
  d.push(headB);
  for (let done = 0, k = 0; done < body; k++) {
    const n = Math.min(1 << 20, body - done);
    const c = chunkOf(lo, n, 100 + (k % 4));
    crc = crc32(crc, c);
    d.push(c);
    done += n;
  }
  crc = crc32(crc, tailB);
  d.push(tailB, true);
  const bytes = concat(parts);
  const out = { bytes, crc, size };
  deflateCache.set(key, out);
  mkdirSync(path.dirname(cached), { recursive: true });
  const file = new Uint8Array(4 + bytes.length);
  new DataView(file.buffer).setUint32(0, crc, true);
  file.set(bytes, 4);
  writeFileSync(`${cached}.${process.pid}`, file);
  renameSync(`${cached}.${process.pid}`, cached);
  return out;
}

function deflateSizeOf(b: Uint8Array): number {
  let n = 0;
  const d = new Deflate({ level: 1 }, (c) => (n += c.length));
  d.push(b, true);
  return n;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

let crcTable: Uint32Array | undefined;
function crc32(crc: number, b: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < b.length; i++) c = crcTable[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A zip written by hand, so members can be deflated streams and sizes can lie. */
function rawZip(members: { name: string; data: Uint8Array; method: 0 | 8; crc: number; size: number; claimedSize?: number }[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const m of members) {
    const name = strToU8(m.name);
    const local = new Uint8Array(30 + name.length);
    const dv = new DataView(local.buffer);
    dv.setUint32(0, 0x04034b50, true);
    dv.setUint16(4, 20, true);
    dv.setUint16(8, m.method, true);
    dv.setUint32(14, m.crc, true);
    dv.setUint32(18, m.data.length, true);
    dv.setUint32(22, Math.min(0xffffffff, m.claimedSize ?? m.size), true);
    dv.setUint16(26, name.length, true);
    local.set(name, 30);
    const c = new Uint8Array(46 + name.length);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, m.method, true);
    cv.setUint32(16, m.crc, true);
    cv.setUint32(20, m.data.length, true);
    cv.setUint32(24, Math.min(0xffffffff, m.claimedSize ?? m.size), true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    c.set(name, 46);
    parts.push(local, m.data);
    central.push(c);
    offset += local.length + m.data.length;
  }
  const cd = concat(central);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, members.length, true);
  ev.setUint16(10, members.length, true);
  ev.setUint32(12, cd.length, true);
  ev.setUint32(16, offset, true);
  return concat([...parts, cd, eocd]);
}

function stored(name: string, data: Uint8Array, claimedSize?: number) {
  return { name, data, method: 0 as const, crc: crc32(0, data), size: data.length, claimedSize };
}

function bomb(r: Rng): [CaseFile[], string] {
  const b = goldenB();
  const cfgText = JSON.stringify(b.config);
  const meta = strToU8(JSON.stringify(b.metadata));
  const variant = r.int(0, 10);
  if (variant === 9) {
    // The model is a device or a pipe: endless zeros, endless noise, or a FIFO that never delivers a byte.
    const to = r.pick(['/dev/zero', '/dev/urandom', 'fifo']);
    return [[{ name: r.pick(['model.keras', 'model.h5']), linkTo: to }], `the model is ${to === 'fifo' ? 'a named pipe with no writer' : `a link to ${to}`}`];
  }
  if (variant === 0) {
    // config.json inflating at a ratio near the guard (MAX_INFLATE_RATIO = 100), 1 MB to 96 MB.
    const ratio = r.pick([50, 90, 95, 99, 101, 150, 1000]);
    const size = r.pick([1 << 20, 70 << 20, 96 << 20]);
    const m = ratioMember(size, ratio, strToU8(cfgText.slice(0, -1) + ',"pad":"'), strToU8('"}'));
    const z = rawZip([stored('metadata.json', meta), { name: 'config.json', data: m.bytes, method: 8, crc: m.crc, size: m.size }, stored('model.weights.h5', b.weights!)]);
    return [[{ name: 'model.keras', bytes: z }], `config.json ${size >> 20} MB at about ${ratio}:1`];
  }
  if (variant === 1) {
    // The weights member deflated near the guard: golden b's weights then spaces (trailing bytes are legal in HDF5).
    const ratio = r.pick([90, 95, 120]);
    const size = r.pick([64 << 20, 200 << 20]);
    const m = ratioMember(size, ratio, b.weights!, new Uint8Array(0));
    const z = rawZip([stored('metadata.json', meta), stored('config.json', strToU8(cfgText)), { name: 'model.weights.h5', data: m.bytes, method: 8, crc: m.crc, size: m.size }]);
    return [[{ name: 'model.keras', bytes: z }], `model.weights.h5 ${size >> 20} MB deflated at about ${ratio}:1`];
  }
  if (variant === 2) {
    // The directory claims a size the member does not have.
    const which = r.pick(['config.json', 'metadata.json', 'model.weights.h5']);
    const claim = r.pick([0, 1, 600 << 20, 0xfffffffe, 2 ** 31]);
    const z = rawZip([
      stored('metadata.json', meta, which === 'metadata.json' ? claim : undefined),
      stored('config.json', strToU8(cfgText), which === 'config.json' ? claim : undefined),
      stored('model.weights.h5', b.weights!, which === 'model.weights.h5' ? claim : undefined),
    ]);
    return [[{ name: 'model.keras', bytes: z }], `${which} claims ${claim} bytes uncompressed`];
  }
  if (variant === 3) {
    // Huge claimed dims in the config, around real weights.
    const [inp, rnn, dense] = b.config.config.layers;
    const what = r.int(0, 8);
    let label: string;
    if (what === 0) { rnn.config.units = 30000; label = 'SimpleRNN(30000) on a 3 KB weight set'; }
    else if (what === 1) { inp.config.batch_shape = [null, 1e9, 3]; label = 'T = 1e9 in batch_shape'; }
    else if (what === 2) { inp.config.batch_shape = [1e9, 10, 3]; label = 'N = 1e9 in batch_shape'; }
    else if (what === 3) { inp.config.batch_shape = [null, 10, 2 ** 31 - 1]; label = 'D = 2^31-1'; }
    else if (what === 4) { dense.config.units = 2 ** 31 - 1; label = 'Dense(2^31-1)'; }
    else if (what === 5) {
      b.config.config.layers.splice(1, 0, { module: 'keras.layers', class_name: 'RepeatVector', config: { name: 'rep', n: 1e9 } });
      inp.config.batch_shape = [null, 3];
      label = 'RepeatVector(1e9)';
    } else if (what === 6) {
      b.config.config.layers.splice(1, 0, { module: 'keras.layers', class_name: 'Reshape', config: { name: 'reshape', target_shape: [1e9, 1e9] } });
      label = 'Reshape to (1e9, 1e9)';
    } else {
      b.config.config.layers.splice(1, 0, { module: 'keras.layers', class_name: 'Embedding', config: { name: 'emb', input_dim: 1e12, output_dim: 1e6 } });
      inp.config.batch_shape = [null, 10];
      label = 'Embedding(1e12, 1e6)';
    }
    return [[{ name: 'model.keras', bytes: kerasZip({ config: b.config, metadata: b.metadata, weights: b.weights }) }], label];
  }
  if (variant === 4) {
    // A sparse file over 2 GB: golden b's HDF5 (or .keras) at the start, a hole to 2.5 GB.
    const src = r.pick(['b_simplernn5_tanh.h5', 'b_simplernn5_tanh.k3.h5', 'b_simplernn5_tanh.keras']);
    const bytes = readBytes(path.join(sharedDir, 'golden', src));
    return [[{ name: src.replace(/^b_/, 'sparse_'), bytes, sparseSize: 2.5 * 2 ** 30 }], `${src} padded (sparse) to 2.5 GB`];
  }
  if (variant === 5) {
    // A dataspace in the weights claiming huge dims (golden b's .h5, every dataspace message patched).
    const src = r.pick(['b_simplernn5_tanh.h5', 'b_simplernn5_tanh.k3.h5']);
    const bytes = readBytes(path.join(sharedDir, 'golden', src)).slice();
    const sb = superblock(bytes, 0);
    const dim = r.pick([2 ** 31, 1e12, 30000, 2 ** 53]);
    let n = 0;
    for (const h of objectHeaders(bytes, sb)) {
      for (const [type, at] of v1Messages(bytes, h)) {
        if (type === 1 && bytes[at + 9] >= 1) {
          writeUint(bytes, at + 8 + 8, 8, dim);
          n++;
        }
      }
    }
    return [[{ name: src, bytes }], `${n} dataspaces claim a first dim of ${dim}`];
  }
  if (variant === 6) {
    // Many small members and one directory entry repeated (each names the config).
    const n = r.pick([1000, 65535]);
    const members = [stored('metadata.json', meta), stored('config.json', strToU8(cfgText)), stored('model.weights.h5', b.weights!)];
    for (let k = 0; k < n - 3; k++) members.push(stored(`assets/${k}.txt`, new Uint8Array(0)));
    return [[{ name: 'model.keras', bytes: rawZip(members) }], `${n} members`];
  }
  if (variant === 7) {
    // A metadata.json or config.json that is deep JSON nesting (arrays 1e5 deep).
    const depth = r.pick([1000, 100_000]);
    const deep = '['.repeat(depth) + ']'.repeat(depth);
    const which = r.chance(0.5) ? 'metadata.json' : 'config.json';
    const z = rawZip([stored('metadata.json', which === 'metadata.json' ? strToU8(deep) : meta), stored('config.json', which === 'config.json' ? strToU8(deep) : strToU8(cfgText)), stored('model.weights.h5', b.weights!)]);
    return [[{ name: 'model.keras', bytes: z }], `${which} is ${depth} nested arrays`];
  }
  // A forward pass whose output and trace are over the budget (N = 64, T = 2e6; T = 1e9), or well within it (T = 2e4).
  const [inp, rnn] = b.config.config.layers;
  inp.config.batch_shape = r.pick([[64, 2e6, 3], [1, 1e9, 3], [1, 2e4, 3]]);
  rnn.config.return_sequences = true;
  return [[{ name: 'model.keras', bytes: kerasZip({ config: b.config, metadata: b.metadata, weights: b.weights }) }], `batch_shape ${JSON.stringify(inp.config.batch_shape)} with return_sequences`];
}

// ---------------------------------------------------------------------------------------------
// Hostile strings in every name field

const ALPHABET = ['\n', '\r', '\t', '\u0000', '\u0007', '\u001b', '\u001b[31m', '\u009b', '\u007f', '\u2028', '\u2029', '\u202e', '\u2066', '\u200f', '"', "'", '"""', "'''", '\\', '#', '`', '$', '{', '}', '[', ']', '(', ')', '<', '>', '&', '%', 'é', '日本', '🙂', '\ud800', '\udfff', ' ', 'a', 'Z', '0', 'open("PWNED","w")', '\nimport os;os.system("touch PWNED")\n', 'command:', '](command:x)', '__import__', ';'];

export function randomHostile(r: Rng): string {
  const n = r.int(1, 12);
  let s = '';
  for (let k = 0; k < n; k++) s += r.chance(0.8) ? r.pick(ALPHABET) : String.fromCodePoint(r.int(0, 0x110000) & 0x10ffff);
  return s;
}

function hostileValue(r: Rng): [string, string] {
  if (r.chance(0.6)) {
    const k = r.int(0, HOSTILE_STRINGS.length);
    return [HOSTILE_STRINGS[k], `HOSTILE_STRINGS[${k}]`];
  }
  const s = randomHostile(r);
  return [s, `random ${JSON.stringify(s).slice(0, 60)}`];
}

export const NAME_FIELDS = ['layer name', 'input name', 'model name', 'class name', 'keras_version', 'bidirectional inner name', 'activation', 'file name', 'every name'] as const;

function hostileName(r: Rng): [CaseFile[], string] {
  const [h, hLabel] = hostileValue(r);
  const field = r.pick(NAME_FIELDS);
  const functional = r.chance(0.5);
  const b = functional ? goldenBFunctional() : goldenB();
  const layers = b.config.config.layers;
  const rename = (l: any, name: string) => {
    const old = l.config.name;
    l.config.name = name;
    if (functional) {
      l.name = name;
      for (const x of layers) for (const node of x.inbound_nodes ?? []) for (const a of node.args ?? []) if (a?.config?.keras_history?.[0] === old) a.config.keras_history[0] = name;
      for (const io of [b.config.config.input_layers, b.config.config.output_layers]) for (const e of io) if (e[0] === old) e[0] = name;
    }
  };
  let modelName = 'model.keras';
  switch (field) {
    case 'layer name': rename(layers[1], h); break;
    case 'input name': rename(layers[0], h); break;
    case 'model name': b.config.config.name = h; break;
    case 'class name': layers[1].class_name = h; break;
    case 'keras_version': b.metadata.keras_version = h; break;
    case 'activation': layers[1].config.activation = h; break;
    case 'bidirectional inner name': {
      const inner = { ...layers[1], config: { ...layers[1].config, name: h } };
      layers[1] = { module: 'keras.layers', class_name: 'Bidirectional', config: { name: 'bidirectional', merge_mode: 'concat', layer: inner }, ...(functional ? { name: 'bidirectional', inbound_nodes: layers[1].inbound_nodes } : {}) };
      if (functional) for (const node of layers[2].inbound_nodes) for (const a of node.args) a.config.keras_history[0] = 'bidirectional';
      break;
    }
    case 'file name': {
      // A file name holds anything but '/' and NUL, up to 255 bytes.
      let n = h.replace(/[/\u0000]/g, '_');
      while (Buffer.byteLength(n) > 240) n = Array.from(n).slice(0, -1).join('');
      modelName = `${n || '_'}.keras`;
      break;
    }
    default:
      layers.forEach((l: any, k: number) => rename(l, `${h}${k}`));
      b.config.config.name = h;
      b.metadata.keras_version = h;
  }
  return [[{ name: modelName, bytes: kerasZip({ config: b.config, metadata: b.metadata, weights: b.weights }) }], `${field} := ${hLabel}${functional ? ' (functional)' : ''}`];
}

/**
 * Hostile names in a legacy HDF5 file without h5py: the model_config attribute is JSON text stored in the file, so a
 * name is replaced in place by a JSON-escaped hostile string of the same byte length (and keras_version by raw bytes).
 */
function hostileH5(r: Rng): [CaseFile[], string] {
  const src = r.pick(['b_simplernn5_tanh.h5', 'b_simplernn5_tanh.k3.h5', 'a_simplernn2_linear.h5', 'c_simplernn1_tanh.h5']);
  const bytes = readBytes(path.join(sharedDir, 'golden', src)).slice();
  const [h, hLabel] = hostileValue(r);
  const enc = new TextEncoder();
  const replaceAll = (from: string, to: Uint8Array) => {
    let n = 0;
    for (const at of findAll(bytes, from)) {
      bytes.set(to, at);
      n++;
    }
    return n;
  };
  /** `h` as JSON string content (no quotes), cut or padded with spaces to exactly `len` bytes without splitting an escape. */
  const fit = (len: number, json: boolean) => {
    let s = json ? JSON.stringify(h).slice(1, -1) : h;
    let b = enc.encode(s);
    while (b.length > len) {
      s = json ? s.replace(/(\\u[0-9a-fA-F]{4}|\\.|[\s\S])$/, '') : Array.from(s).slice(0, -1).join('');
      b = enc.encode(s);
    }
    const out = new Uint8Array(len).fill(0x20);
    out.set(b);
    return out;
  };
  const which = r.int(0, 3);
  if (which === 0) {
    // The keras_version attribute's value (e.g. 2.15.0), wherever it is stored.
    const v = /\b[23]\.\d+\.\d+\b/.exec(new TextDecoder('latin1').decode(bytes))?.[0] ?? '2.15.0';
    const n = replaceAll(v, fit(v.length, false));
    return [[{ name: src, bytes }], `${src}: keras_version (${n}×) := ${hLabel}`];
  }
  const text = new TextDecoder('latin1').decode(bytes);
  const names = [...new Set([...text.matchAll(/"name": "([a-z_0-9]+)"/g)].map((m) => m[1]))].filter((n) => n !== 'float32');
  const name = which === 1 ? (names.find((n) => /rnn/.test(n)) ?? names[0]) : r.pick(names);
  const n = replaceAll(`"${name}"`, enc.encode(`"${new TextDecoder().decode(fit(name.length, true))}"`));
  return [[{ name: src, bytes }], `${src}: "${name}" (${n}× in the config) := ${hLabel}`];
}

// ---------------------------------------------------------------------------------------------

const filtered = new Map<(b: Uint8Array) => boolean, string[]>();
function fileCase(r: Rng, mutate: (r: Rng, b: Uint8Array) => [Uint8Array, string], filter: (b: Uint8Array) => boolean): [CaseFile[], string] {
  let files = filtered.get(filter);
  if (!files) filtered.set(filter, (files = corpus().filter((f) => filter(readBytes(f)))));
  const f = r.pick(files.length ? files : corpus());
  const [bytes, how] = mutate(r, readBytes(f));
  return [[{ name: path.basename(f), bytes }, ...companions(f)], `${path.basename(f)}: ${how}`];
}

const anyFile = () => true;
const hasHdf5 = (b: Uint8Array) => hdf5Start(b) >= 0;

export function makeCase(seed: number, index: number): FuzzCase {
  const kind = kindOf(index);
  const r = new Rng(caseSeed(seed, index));
  let made: [CaseFile[], string];
  switch (kind) {
    case 'bitflip': made = fileCase(r, bitflip, anyFile); break;
    case 'truncate': made = fileCase(r, truncate, anyFile); break;
    case 'zeroed': made = fileCase(r, zeroed, anyFile); break;
    case 'hdf5-header': made = fileCase(r, hdf5Header, hasHdf5); break;
    case 'hdf5-btree': made = fileCase(r, hdf5Btree, hasHdf5); break;
    case 'zip-dir': made = fileCase(r, zipDir, isZip); break;
    case 'config-number': made = configNumber(r); break;
    case 'config-type': made = configType(r); break;
    case 'config-nesting': made = configNesting(r); break;
    case 'config-cycle': made = configCycle(r); break;
    case 'config-size': made = configSize(r); break;
    case 'bomb': made = bomb(r); break;
    case 'hostile-name': made = hostileName(r); break;
    case 'hostile-h5': made = hostileH5(r); break;
  }
  const hostile = kind === 'hostile-name' || kind === 'hostile-h5';
  // The CLI costs three process starts (node twice, python3 once): one hostile case in eight, one in 100 of the rest.
  const cli = r.chance(hostile ? 1 / 8 : 1 / 100);
  return { seed, index, kind, label: made[1], files: made[0], hostile, cli };
}

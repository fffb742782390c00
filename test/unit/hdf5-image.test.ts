// container/hdf5Image.ts opens a model file by reading only its HDF5 metadata and leaves weight data on disk.
// (a) On real files that must change nothing: the summary and every weight equal what the same bytes give when read
// whole into memory. (b) The layouts h5py writes when asked (libver='latest': superblock v3, version 2 object headers,
// compact and dense new-style groups; track_order=True: creation-order indexes; dense attributes) are walked too: still
// metadata only, with the same summary and byte-identical weights as the whole file, and the values h5py was told to
// write. (c) A file changed or removed after opening refuses to hand out weights instead of returning bytes from a
// different file.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, unlinkSync, utimesSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileSource, memorySource } from '../../extension/keras/container/bytesNode';
import { openHdf5Bytes } from '../../extension/keras/container/hdf5Image';
import { readZipDirectory, readZipHdf5 } from '../../extension/keras/container/kerasZip';
import { sniff } from '../../extension/keras/container/sniff';
import { loadModel, loadModelFromSource, type LoadOptions } from '../../extension/keras/documentNode';
import { NotAKerasFileError } from '../../extension/keras/errors';
import type { LayerNode, ModelDocument, ModelGraph, WeightRef } from '../../extension/keras/model';
import { summarize } from '../../extension/keras/summary';
import { repoRoot } from './helpers/paths';

const shared = path.resolve(repoRoot, '../shared');
const modelFiles = path.join(shared, 'models', 'files');
const golden = path.join(shared, 'golden');
const PYTHON = '/usr/bin/python3'; // Debian's Python with python3-h5py; the pyenv python3 on PATH has no h5py

/** Every stored weight of a document, in a fixed order (a Bidirectional lists its children's refs again). */
function weightsOf(doc: ModelDocument): WeightRef[] {
  const out: WeightRef[] = [];
  const seen = new Set<WeightRef>();
  const visitLayer = (l: LayerNode): void => {
    for (const w of l.weights) if (!seen.has(w)) (seen.add(w), out.push(w));
    l.children.forEach(visitLayer);
    if (l.model) visitGraph(l.model);
  };
  const visitGraph = (g: ModelGraph): void => g.layers.forEach(visitLayer);
  visitGraph(doc.root);
  for (const w of doc.looseWeights ?? []) if (!seen.has(w as WeightRef)) out.push(w as WeightRef);
  return out;
}

/** Which way the core opens a file's HDF5: metadata only (weights left on disk), or the whole range (fallback). */
async function hdf5Path(file: string): Promise<'metadata' | 'whole' | 'none'> {
  const source = await fileSource(file);
  try {
    const container = await sniff(source);
    if (container.kind === 'hdf5') {
      const opened = await openHdf5Bytes(source, container.superblockOffset, source.size - container.superblockOffset);
      return opened.data ? 'metadata' : 'whole';
    }
    if (container.kind !== 'zip') return 'none';
    const entry = (await readZipDirectory(source)).entries.find((e) => e.name === 'model.weights.h5');
    if (!entry) return 'none';
    return (await readZipHdf5(source, entry)).data ? 'metadata' : 'whole';
  } finally {
    await source.close();
  }
}

/** Loads a file both ways: from disk (metadata only) and from the same bytes in memory. */
async function bothWays(file: string, opts: LoadOptions = {}): Promise<{ disk: ModelDocument; memory: ModelDocument }> {
  const disk = await loadModel(file, opts);
  const memory = await loadModelFromSource(memorySource(new Uint8Array(readFileSync(file)), path.basename(file)), opts);
  return { disk, memory };
}

/** The summary as JSON, without the `file` field (a path from disk, a bare name from memory). */
function summaryJson(doc: ModelDocument): string {
  const { file: _file, ...rest } = summarize(doc);
  return JSON.stringify(rest);
}

/** Same summary JSON and byte-identical weights from the metadata-only read and from the whole file in memory. */
function assertSameDocs(name: string, disk: ModelDocument, memory: ModelDocument): void {
  assert.equal(summaryJson(disk), summaryJson(memory), `${name}: summary differs between the metadata-only read and the whole file`);
  const a = weightsOf(disk);
  const b = weightsOf(memory);
  assert.deepEqual(a.map((w) => [w.path, w.shape, w.dtype]), b.map((w) => [w.path, w.shape, w.dtype]), `${name}: weight lists differ`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i].values();
    const y = b[i].values();
    assert.equal(x.length, y.length, `${name}: ${a[i].path} has ${x.length} values from disk, ${y.length} from memory`);
    assert.ok(Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength)), `${name}: ${a[i].path} values differ`);
  }
}

describe('metadata-only HDF5 read of real model files', () => {
  const missing = existsSync(modelFiles) && existsSync(golden) ? null : `the shared models are not at ${shared}`;
  const candidates = missing
    ? []
    : [
        ...readdirSync(modelFiles).map((f) => path.join(modelFiles, f)),
        ...readdirSync(golden).map((f) => path.join(golden, f)),
      ].filter((f) => /\.(h5|keras)$/.test(f));

  it('gives the same summary and the same weight values as reading the whole file into memory', async (t) => {
    if (missing) return t.skip(missing);
    let compared = 0;
    let onDisk = 0;
    let refused = 0;
    for (const file of candidates) {
      const name = path.basename(file);
      const config = file.replace(/\.h5$/, '.config.json');
      const opts: LoadOptions = existsSync(config) ? { config: { name: config, text: readFileSync(config, 'utf8') } } : {};
      let docs: { disk: ModelDocument; memory: ModelDocument };
      try {
        docs = await bothWays(file, opts);
      } catch (e) {
        // A file the reader refuses (LFS pointer, truncated, not Keras) must be refused the same way from memory.
        const fromMemory = await loadModelFromSource(memorySource(new Uint8Array(readFileSync(file)), name), opts).then(
          () => 'loaded',
          (m: unknown) => (m instanceof Error ? m.message : String(m)),
        );
        assert.equal(fromMemory, e instanceof Error ? e.message : String(e), `${name}: refused differently from disk and from memory`);
        refused++;
        continue;
      }
      assertSameDocs(name, docs.disk, docs.memory);
      if ((await hdf5Path(file)) === 'metadata') onDisk++;
      compared++;
    }
    // Guards against a test that passes because nothing was compared, or because every file fell back.
    assert.ok(compared >= 15, `only ${compared} real files loaded (${refused} refused)`);
    assert.ok(onDisk >= 15, `only ${onDisk} of ${compared} files were opened metadata-only; the rest read the whole file`);
    assert.ok(refused >= 2, `expected the corpus' broken files (LFS pointer, truncated, not HDF5) to be refused; ${refused} were`);
  });

  for (const name of ['imdb-embed-simplernn.h5', 'lstm-ae-timedist.keras']) {
    it(`${name}: opening reads the metadata only, the weight bytes stay on disk`, async (t) => {
      if (missing) return t.skip(missing);
      const file = path.join(modelFiles, name);
      const source = await fileSource(file);
      try {
        const whole = new Uint8Array(readFileSync(file));
        let opened;
        if (name.endsWith('.h5')) opened = await openHdf5Bytes(source, 0, source.size);
        else {
          const entry = (await readZipDirectory(source)).entries.find((e) => e.name === 'model.weights.h5');
          assert.ok(entry, 'the .keras has a model.weights.h5');
          opened = await readZipHdf5(source, entry);
        }
        assert.ok(opened.data, 'a default-layout h5py file should be opened metadata-only');
        const image = new Uint8Array(opened.buffer);
        const nonzero = (u8: Uint8Array) => u8.reduce((n, b) => n + (b !== 0 ? 1 : 0), 0);
        // Whatever the image holds, it holds at the file's own positions; the rest is zero (never read).
        const start = name.endsWith('.h5') ? 0 : findHdf5(whole);
        for (let i = 0; i < image.length; i++) if (image[i] !== 0 && image[i] !== whole[start + i]) assert.fail(`byte ${i} of the image differs from the file`);
        const share = nonzero(image) / nonzero(whole.subarray(start, start + image.length));
        // Metadata shares 4 KiB pages with small weights, so some weight bytes come along (12% in the 1.3 MB .keras).
        assert.ok(share < 0.25, `the image holds ${(share * 100).toFixed(1)}% of the file's non-zero bytes: weights were read up front`);
      } finally {
        await source.close();
      }
    });
  }
});

/** Where the HDF5 signature starts inside a stored zip member. */
function findHdf5(bytes: Uint8Array): number {
  const sig = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  for (let i = 0; i + 8 <= bytes.length; i++) if (sig.every((b, j) => bytes[i + j] === b)) return i;
  throw new Error('no HDF5 signature in the archive');
}

// Small Keras-layout files in layouts h5py only writes when asked; the values are written out here by hand.
const KERNEL = [
  [0.5, -1, 2],
  [0.25, 3, -0.125],
];
const BIAS = [1, 2, 3];

const WRITE_FILES = String.raw`
import json, sys, zipfile
import h5py, numpy as np
out = sys.argv[1]
kernel = np.array(json.loads(sys.argv[2]), dtype=np.float32)
bias = np.array(json.loads(sys.argv[3]), dtype=np.float32)
config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 2], "dtype": "float32", "name": "x"}},
    {"class_name": "Dense", "config": {"name": "dense", "units": 3, "activation": "linear", "use_bias": True,
                                        "dtype": "float32", "trainable": True}}]}}
def legacy(path, **kw):
    with h5py.File(path, "w", **kw) as f:
        f.attrs["keras_version"] = "2.9.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode()
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = [b"dense"]
        g = mw.create_group("dense")
        g.attrs["weight_names"] = [b"dense/kernel:0", b"dense/bias:0"]
        g.create_dataset("dense/kernel:0", data=kernel)
        g.create_dataset("dense/bias:0", data=bias)
        f.flush()
        return g["dense/kernel:0"].id.get_offset()
with open(out + "/latest-kernel-offset.json", "w") as o:
    json.dump(legacy(out + "/latest.h5", libver="latest"), o)
legacy(out + "/track-order.h5", track_order=True)
# Paged file space management adds a superblock extension, which the walk does not cover: it must fall back.
legacy(out + "/paged.h5", libver="latest", fs_strategy="page")
k3 = {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "layers": [
    {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [None, 2], "dtype": "float32", "name": "x"}},
    {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "units": 3, "activation": "linear", "use_bias": True},
     "build_config": {"input_shape": [None, 2]}}]}}
with h5py.File(out + "/weights.h5", "w", libver="latest") as f:
    v = f.create_group("layers").create_group("dense").create_group("vars")
    v.create_dataset("0", data=kernel)
    v.create_dataset("1", data=bias)
with zipfile.ZipFile(out + "/latest.keras", "w", compression=zipfile.ZIP_STORED) as z:
    z.writestr("metadata.json", json.dumps({"keras_version": "3.14.1"}))
    z.writestr("config.json", json.dumps(k3))
    z.write(out + "/weights.h5", "model.weights.h5")
# 200 Dense(3) layers: model_weights holds more links than a compact group may (8), so they go to a fractal heap with
# a name index and (track_order) a creation-order index; each kernel carries 10 attributes, more than compact storage.
n_layers = int(sys.argv[4])
layers = [{"class_name": "InputLayer", "config": {"batch_input_shape": [None, 2], "dtype": "float32", "name": "x"}}]
with h5py.File(out + "/dense.h5", "w", libver="latest", track_order=True) as f:
    f.attrs["keras_version"] = "2.9.0"
    f.attrs["backend"] = "tensorflow"
    mw = f.create_group("model_weights")
    names = []
    for i in range(n_layers):
        name = "dense_%d" % i
        names.append(name.encode())
        layers.append({"class_name": "Dense", "config": {"name": name, "units": 3, "activation": "linear",
                       "use_bias": True, "dtype": "float32", "trainable": True}})
        g = mw.create_group(name)
        g.attrs["weight_names"] = [(name + "/kernel:0").encode(), (name + "/bias:0").encode()]
        k = g.create_dataset(name + "/kernel:0", data=np.full((2 if i == 0 else 3, 3), i + 0.5, dtype=np.float32))
        for a in range(10):
            k.attrs["note%d" % a] = np.float32(a)
        g.create_dataset(name + "/bias:0", data=np.full((3,), -i, dtype=np.float32))
    mw.attrs["layer_names"] = names
    f.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": {"name": "s", "layers": layers}}).encode()
with open(out + "/dense.h5", "rb") as o:
    raw = o.read()
# Which structures h5py wrote, by their signatures: fractal heaps (dense links and attributes), their indirect blocks,
# v2 B-tree leaf and internal nodes.
with open(out + "/dense-info.json", "w") as o:
    json.dump({sig: raw.count(sig.encode()) for sig in ["FRHP", "FHIB", "BTLF", "BTIN"]}, o)
# A 4 MB kernel: the metadata walk must leave it on disk.
with h5py.File(out + "/big.h5", "w", libver="latest", track_order=True) as f:
    f.attrs["keras_version"] = "2.9.0"
    f.attrs["backend"] = "tensorflow"
    big = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 1024], "dtype": "float32", "name": "x"}},
        {"class_name": "Dense", "config": {"name": "big", "units": 1024, "activation": "linear", "use_bias": True,
                                            "dtype": "float32", "trainable": True}}]}}
    f.attrs["model_config"] = json.dumps(big).encode()
    mw = f.create_group("model_weights")
    mw.attrs["layer_names"] = [b"big"]
    g = mw.create_group("big")
    g.attrs["weight_names"] = [b"big/kernel:0", b"big/bias:0"]
    g.create_dataset("big/kernel:0", data=(np.arange(1024 * 1024, dtype=np.float32) % 7 - 3).reshape(1024, 1024))
    g.create_dataset("big/bias:0", data=np.zeros(1024, dtype=np.float32) + 0.25)
`;

/** Opens a file's HDF5 the way the core does and says how much of it the image holds (non-zero bytes). */
async function imageShare(file: string): Promise<{ metadataOnly: boolean; share: number }> {
  const source = await fileSource(file);
  try {
    const opened = await openHdf5Bytes(source, 0, source.size);
    const image = new Uint8Array(opened.buffer);
    const whole = new Uint8Array(readFileSync(file));
    let held = 0;
    let all = 0;
    for (let i = 0; i < whole.length; i++) {
      if (whole[i] !== 0) all++;
      if (image[i] !== 0) {
        held++;
        if (image[i] !== whole[i]) assert.fail(`byte ${i} of the image differs from the file`);
      }
    }
    return { metadataOnly: opened.data !== undefined, share: held / all };
  } finally {
    await source.close();
  }
}

/** The metadata-only read must give what the same bytes give read whole into memory: summary and every weight byte. */
async function assertSameAsMemory(file: string): Promise<ModelDocument> {
  const { disk, memory } = await bothWays(file);
  assertSameDocs(path.basename(file), disk, memory);
  return disk;
}

const DENSE_LAYERS = 200;

describe("HDF5 layouts h5py writes when asked (libver='latest', track_order=True)", () => {
  let dir = '';
  let why: string | null = null;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hdf5-image-'));
    if (!existsSync(PYTHON)) {
      why = `${PYTHON} is missing, so no h5py to write the test files`;
      return;
    }
    const r = spawnSync(PYTHON, ['-c', WRITE_FILES, dir, JSON.stringify(KERNEL), JSON.stringify(BIAS), String(DENSE_LAYERS)], { encoding: 'utf8' });
    if (r.status !== 0) why = `${PYTHON} could not write the files with h5py (apt-get install python3-h5py): ${r.stderr.trim().split('\n').pop()}`;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const name of ['latest.h5', 'track-order.h5', 'latest.keras']) {
    it(`${name}: opens metadata-only and gives the written weights, as the whole file does`, async (t) => {
      if (why) return t.skip(why);
      const file = path.join(dir, name);
      assert.equal(await hdf5Path(file), 'metadata', `${name} should be opened metadata-only`);
      const doc = await assertSameAsMemory(file);
      // Dense(2 -> 3): 2*3 kernel + 3 bias = 9 parameters.
      assert.equal(summarize(doc).totalParams, 9);
      const [kernel, bias] = weightsOf(doc);
      assert.deepEqual(kernel.shape, [2, 3]);
      assert.deepEqual(Array.from(kernel.values()), KERNEL.flat());
      assert.deepEqual(Array.from(bias.values()), BIAS);
    });
  }

  it(`dense.h5: ${DENSE_LAYERS} layers in a dense, creation-ordered group with dense attributes, metadata-only`, async (t) => {
    if (why) return t.skip(why);
    const file = path.join(dir, 'dense.h5');
    // h5py says the layouts this test is about are really there.
    const found = JSON.parse(readFileSync(path.join(dir, 'dense-info.json'), 'utf8')) as Record<string, number>;
    // One heap for model_weights' links and one per kernel's 10 attributes; the links outgrow the root direct block.
    assert.ok(found.FRHP >= 1 + DENSE_LAYERS, `fractal heaps: ${found.FRHP}`);
    assert.ok(found.FHIB >= 1, 'the links heap has an indirect block');
    assert.ok(found.BTLF >= 2 && found.BTIN >= 1, `v2 B-tree nodes: ${found.BTLF} leaves, ${found.BTIN} internal`);
    assert.equal(await hdf5Path(file), 'metadata', 'dense.h5 should be opened metadata-only');
    const doc = await assertSameAsMemory(file);
    // Dense(2 -> 3) = 2*3 + 3 = 9, then 199 x Dense(3 -> 3) = 3*3 + 3 = 12 each: 9 + 199*12 = 2397.
    assert.equal(summarize(doc).totalParams, 2397);
    const weights = weightsOf(doc);
    assert.equal(weights.length, 2 * DENSE_LAYERS);
    for (let i = 0; i < DENSE_LAYERS; i++) {
      const kernel = weights.find((w) => w.path.includes(`dense_${i}/kernel`));
      const bias = weights.find((w) => w.path.includes(`dense_${i}/bias`));
      assert.ok(kernel && bias, `dense_${i} has its kernel and bias`);
      // Written as np.full(shape, i + 0.5) and np.full(3, -i).
      assert.deepEqual(Array.from(kernel.values()), new Array(i === 0 ? 6 : 9).fill(i + 0.5), `dense_${i} kernel`);
      assert.deepEqual(Array.from(bias.values()), new Array(3).fill(0 - i), `dense_${i} bias`); // 0 - i: +0 for layer 0
    }
  });

  it('big.h5: a 4 MB kernel stays on disk until values() asks for it', async (t) => {
    if (why) return t.skip(why);
    const file = path.join(dir, 'big.h5');
    const { metadataOnly, share } = await imageShare(file);
    assert.ok(metadataOnly, 'big.h5 should be opened metadata-only');
    assert.ok(share < 0.02, `the image holds ${(share * 100).toFixed(2)}% of the file's non-zero bytes: weights were read up front`);
    const doc = await assertSameAsMemory(file);
    const [kernel, bias] = weightsOf(doc);
    const values = kernel.values();
    assert.equal(values.length, 1024 * 1024);
    // Written as arange(1024*1024) % 7 - 3.
    for (let i = 0; i < values.length; i++) if (values[i] !== (i % 7) - 3) assert.fail(`kernel value ${i} is ${values[i]}, not ${(i % 7) - 3}`);
    assert.ok(Array.from(bias.values()).every((v) => v === 0.25));
  });

  it('paged.h5 (a superblock extension the walk does not cover) reads the whole file and gives the written weights', async (t) => {
    if (why) return t.skip(why);
    const file = path.join(dir, 'paged.h5');
    assert.equal(await hdf5Path(file), 'whole', 'paged.h5 should take the fallback path');
    const doc = await loadModel(file);
    assert.equal(summarize(doc).totalParams, 9);
    const [kernel, bias] = weightsOf(doc);
    assert.deepEqual(Array.from(kernel.values()), KERNEL.flat());
    assert.deepEqual(Array.from(bias.values()), BIAS);
  });

  it('a truncated latest.h5 fails with a typed, readable error, not a crash', async (t) => {
    if (why) return t.skip(why);
    const file = path.join(dir, 'latest-cut.h5');
    copyFileSync(path.join(dir, 'latest.h5'), file);
    // Cut the file 4 bytes into the kernel's data (its offset as h5py reports it).
    const kernelAt = JSON.parse(readFileSync(path.join(dir, 'latest-kernel-offset.json'), 'utf8')) as number;
    assert.ok(kernelAt > 0 && kernelAt < statSync(file).size);
    truncateSync(file, kernelAt + 4);
    const err = await loadModel(file).then(
      (doc) => {
        try {
          weightsOf(doc).forEach((w) => w.values());
          return undefined;
        } catch (e) {
          return e;
        }
      },
      (e: unknown) => e,
    );
    assert.ok(err instanceof NotAKerasFileError, `expected a NotAKerasFileError, got ${String(err)}`);
    assert.match(err.message, /^latest-cut\.h5 /);
  });
});

describe('a file changed on disk after opening', () => {
  let dir = '';
  const missing = existsSync(golden) ? null : `the golden files are not at ${golden}`;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hdf5-image-changed-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A fresh copy of a golden file (never the shared original), opened metadata-only; its first weight read once. */
  async function openCopy(name: string, copyName: string): Promise<{ file: string; weight: WeightRef }> {
    const file = path.join(dir, copyName);
    copyFileSync(path.join(golden, name), file);
    assert.equal(await hdf5Path(file), 'metadata', `${name} should be opened metadata-only`);
    const doc = await loadModel(file);
    const weight = weightsOf(doc)[0];
    assert.ok(weight.values().length > 0, 'reading before the change works');
    return { file, weight };
  }

  for (const name of ['b_simplernn5_tanh.h5', 'b_simplernn5_tanh.keras']) {
    it(`${name}: values() refuses after bytes were appended`, async (t) => {
      if (missing) return t.skip(missing);
      const { file, weight } = await openCopy(name, `appended-${name}`);
      appendFileSync(file, Buffer.alloc(16));
      assert.throws(() => weight.values(), (e: unknown) => e instanceof NotAKerasFileError && /changed on disk since it was opened; open it again/.test(e.message));
    });
  }

  it('values() refuses after the modification time changed with the same size', async (t) => {
    if (missing) return t.skip(missing);
    const { file, weight } = await openCopy('b_simplernn5_tanh.h5', 'touched.h5');
    const later = new Date(statSync(file).mtimeMs + 5000);
    utimesSync(file, later, later);
    assert.throws(() => weight.values(), /touched\.h5 changed on disk since it was opened/);
  });

  it('values() says the file can no longer be read after it was deleted', async (t) => {
    if (missing) return t.skip(missing);
    const { file, weight } = await openCopy('b_simplernn5_tanh.h5', 'deleted.h5');
    unlinkSync(file);
    assert.throws(() => weight.values(), (e: unknown) => e instanceof NotAKerasFileError && /deleted\.h5 can no longer be read \(ENOENT\); open it again/.test(e.message));
  });
});

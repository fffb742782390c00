// Names from a stranger's file stay data on the way out. The NumPy script exported for a model whose names, Keras
// version or file name are hostile runs, prints what the forward pass printed, and runs nothing else (every payload
// in HOSTILE_STRINGS writes a file PWNED in the cwd when it gets executed). The CLI's text reaches the terminal with
// no control, bidi or separator character and with bounded lines; its JSON parses in Node and in Python with the
// names intact. And the CLI never writes an output onto the model, its architecture JSON or the input file.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { HOSTILE_STRINGS, goldenB, goldenBNamed, kerasZip } from '../helpers/craft';
import { main } from '../../extension/cli/main';
import { loadModel } from '../../extension/keras/documentNode';
import { UnsupportedFeatureError } from '../../extension/keras/errors';
import { runForward } from '../../extension/keras/forward';
import { fillInputs } from '../../extension/keras/inputs';
import type { ModelDocument } from '../../extension/keras/model';
import { exportNumpy } from '../../extension/keras/numpyExport';
import { csvField } from '../../extension/keras/traceExport';
import { layerNode, weightRef } from './helpers/layerNode';
import { functionalDoc, sequentialDoc } from './helpers/modelDoc';
import { NO_NUMPY_REASON, PYTHON_WITH_NUMPY } from './helpers/python';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const shared = path.resolve(repoRoot, '../shared');
const cli = path.join(repoRoot, 'dist/cli.js');
const tmp = mkdtempSync(path.join(tmpdir(), 'hostile-output-'));
const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
const python = PYTHON_WITH_NUMPY;
let dirCount = 0;
const freshDir = (tag: string) => mkdtempSync(path.join(tmp, `${tag}-${dirCount++}-`));

after(() => rmSync(tmp, { recursive: true, force: true }));

before(() => {
  const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(build.status, 0, `node esbuild.mjs failed:\n${build.stderr}`);
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawns without blocking, so the many short runs below share the cores. */
function runAsync(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? tmp, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.end(opts.input ?? '');
  });
}

const cliRun = (...args: string[]) => runAsync(process.execPath, [cli, ...args]);

/** Runs `fn` over `items`, at most `width` at a time. */
async function pool<T, R>(items: readonly T[], width: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const k = next++;
      results[k] = await fn(items[k], k);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}

/** What a path becomes on disk: each lone surrogate is written as U+FFFD. */
const wellFormed = (s: string) => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

const label = (h: string) => JSON.stringify(h.length > 40 ? `${h.slice(0, 40)}…` : h);
const H = HOSTILE_STRINGS;
const rot = (k: number) => H[((k % H.length) + H.length) % H.length];

interface ScriptJson {
  output: unknown;
  layers: { name: string; className: string }[];
}

/**
 * Writes `script` into a fresh folder, runs it there as a user would (`python3 script.py --json --layers`), and
 * asserts it exited 0 and that the folder holds nothing but the script afterwards (a payload that ran would have
 * written PWNED there). Returns the script's path and its JSON.
 */
async function runScript(script: string, what: string): Promise<{ file: string; json: ScriptJson }> {
  const dir = freshDir('py');
  const file = path.join(dir, 'model_forward.py');
  writeFileSync(file, script);
  const r = await runAsync(python!, ['model_forward.py', '--json', '--layers'], { cwd: dir });
  assert.equal(r.code, 0, `${what}: the script failed:\n${r.stderr.slice(0, 2000)}`);
  assert.deepEqual(readdirSync(dir), ['model_forward.py'], `${what}: nothing but the script is in its folder (no PWNED)`);
  return { file, json: JSON.parse(r.stdout) as ScriptJson };
}

/**
 * Imports each script without running it (one python3 for all, to keep the suite fast) and reads back MODEL_FILE,
 * KERAS_VERSION and what `--layers` prints, in a fresh cwd that must stay empty.
 */
async function probeScripts(files: string[]): Promise<{ modelFile: string | null; kerasVersion: string | null; layersText: string }[]> {
  const probe = [
    'import contextlib, io, json, runpy, sys',
    'out = []',
    'for f in json.loads(sys.stdin.read()):',
    '    g = runpy.run_path(f, run_name="probe")',
    '    buf = io.StringIO()',
    '    sys.argv = [f, "--layers"]',
    '    with contextlib.redirect_stdout(buf):',
    '        g["main"]()',
    '    out.append({"modelFile": g["MODEL_FILE"], "kerasVersion": g["KERAS_VERSION"], "layersText": buf.getvalue()})',
    'print(json.dumps(out))',
  ].join('\n');
  const cwd = freshDir('probe');
  const r = await runAsync(python!, ['-c', probe], { cwd, input: JSON.stringify(files) });
  assert.equal(r.code, 0, `probing the scripts failed:\n${r.stderr.slice(0, 2000)}`);
  assert.deepEqual(readdirSync(cwd), [], 'nothing appeared where the scripts were imported (no PWNED)');
  return JSON.parse(r.stdout);
}

const BIDI_OR_SEPARATOR = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

/** No C0 control but \n, no DEL/C1, no bidi or line separator, no lone surrogate; lines at most `maxLine` long. */
function assertTerminalSafe(text: string, what: string, maxLine = 400): void {
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    assert.ok(!(c < 0x20 && c !== 0x0a), `${what}: control U+${c.toString(16).padStart(4, '0')} reached the terminal`);
    assert.ok(!(c >= 0x7f && c <= 0x9f), `${what}: DEL/C1 U+${c.toString(16)} reached the terminal`);
    assert.ok(!BIDI_OR_SEPARATOR.test(ch), `${what}: bidi/separator U+${c.toString(16)} reached the terminal`);
    assert.ok(!(c >= 0xd800 && c <= 0xdfff), `${what}: a lone surrogate reached the terminal`);
  }
  const longest = text.split('\n').reduce((m, l) => Math.max(m, l.length), 0);
  assert.ok(longest <= maxLine, `${what}: a line of ${longest} characters`);
}

/** One line on stderr, at most 300 characters, terminal-safe, no stack trace and no JS internals. */
function assertOneSentence(stderr: string, what: string): string {
  const lines = stderr.replace(/\n$/, '').split('\n');
  assert.equal(lines.length, 1, `${what}: one line on stderr, got:\n${stderr.slice(0, 1000)}`);
  assert.ok(lines[0].length <= 300, `${what}: ${lines[0].length} characters`);
  assertTerminalSafe(lines[0], what);
  assert.doesNotMatch(lines[0], /\[object Object\]|Invalid typed array|TypeError|RangeError|^\s+at /, what);
  return lines[0];
}

/** The CLI in this process (the same main() dist/cli.js runs), for the many cheap text and JSON runs. */
async function cliInProcess(...args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, stdout: out.map((t) => `${t}\n`).join(''), stderr: err.map((t) => `${t}\n`).join('') };
}

/**
 * Golden model b (its real weights) with hostile strings in every role, rotated so that across k = 0..13 each
 * string is once the model name, the keras_version in metadata.json, the input name and each layer's name.
 */
interface RoleFile {
  file: string;
  model: string;
  kerasVersion: string;
  layers: string[];
}
function roleFile(k: number, dir = freshDir('roles')): RoleFile {
  const b = goldenB();
  const layers = [rot(k + 2), rot(k + 3), rot(k + 4)];
  b.config.config.name = rot(k);
  b.config.config.layers.forEach((l: { config: { name: string } }, i: number) => (l.config.name = layers[i]));
  const file = path.join(dir, `roles-${k}.keras`);
  writeFileSync(file, kerasZip({ config: b.config, metadata: { ...b.metadata, keras_version: rot(k + 1) }, weights: b.weights }));
  return { file, model: rot(k), kerasVersion: rot(k + 1), layers };
}

/** The real tf.keras 2.15 .keras with five Bidirectional(LSTM) layers, the inner LSTMs named by `names`. */
function bidirectionalNamed(names: string[], k: number): string {
  const members = unzipSync(readFileSync(path.join(shared, 'models/files/weather-bilstm-tfk215.keras')));
  const json = (n: string) => JSON.parse(new TextDecoder().decode(members[n]));
  const config = json('config.json');
  let n = 0;
  for (const l of config.config.layers) if (l.class_name === 'Bidirectional') l.config.layer.config.name = names[n++];
  assert.equal(n, 5, 'five Bidirectional layers renamed');
  const file = path.join(tmp, `bidirectional-${k}.keras`);
  writeFileSync(file, kerasZip({ config, metadata: json('metadata.json'), weights: members['model.weights.h5'] }));
  return file;
}

/** A file name that holds `h` where the file system allows it (no "/", under 255 bytes). */
const fileNameFor = (h: string, k: number) => (!h.includes('/') && Buffer.byteLength(h) < 240 ? `${h}.keras` : `plain-${k}.keras`);

test('the payloads are live: written raw after a comment or into a docstring, python3 runs them', async (t) => {
  if (!python) return t.skip(NO_NUMPY_REASON);
  // Without this, a test that sees no PWNED could pass because the payloads never worked.
  for (const [k, source] of [`# ${H[0]}\n`, `"""${H[1]}"""\n`, `# ${H[4]}\n`].entries()) {
    const dir = freshDir('live');
    writeFileSync(path.join(dir, 'raw.py'), source);
    await runAsync(python, ['raw.py'], { cwd: dir });
    assert.ok(existsSync(path.join(dir, 'PWNED')), `payload ${k} wrote PWNED when written raw`);
  }
});

test('NumPy export through the CLI: every hostile string as model, input and layer name, keras_version and file name; the script matches forward --json and runs nothing else', async (t) => {
  if (!python) return t.skip(NO_NUMPY_REASON);
  const cases = H.map((_, k) => {
    const roles = roleFile(k);
    // The same model under a hostile file name (newlines and quotes are allowed on Linux).
    const file = path.join(freshDir('name'), fileNameFor(rot(k + 5), k));
    copyFileSync(roles.file, file);
    return { ...roles, file };
  });
  assert.ok(cases.filter((c) => !path.basename(c.file).startsWith('plain-')).length >= 10, 'most hostile strings are file names too');
  // Every fifth case through the built dist/cli.js, the rest through the same main() in this process.
  const spawned = (k: number) => k % 5 === 0;
  const scripts = await pool(cases, 3, async (c, k) => {
    const out = path.join(freshDir('out'), 'script.py');
    const args = ['forward', c.file, '--fill', 'ramp', '--numpy', out, '--json'];
    const r = spawned(k) ? await cliRun(...args) : await cliInProcess(...args);
    assert.equal(r.code, 0, `case ${k}: ${r.stderr}`);
    const forward = JSON.parse(r.stdout) as { output: unknown; layers: { name: string }[] };
    const { file, json } = await runScript(readFileSync(out, 'utf8'), `case ${k} (${label(c.layers[1])})`);
    const want = flat(forward.output);
    const got = flat(json.output);
    assert.equal(got.length, want.length);
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-6, `case ${k}: output ${i} is ${v}, forward gave ${want[i]}`));
    // The names the script recorded are the file's names exactly (lone surrogates included).
    assert.deepEqual(json.layers.map((l) => l.name), forward.layers.map((l) => l.name), `case ${k}: layer names round-trip`);
    assert.ok(json.layers.some((l) => l.name === c.layers[1]), `case ${k}: the SimpleRNN's hostile name is recorded as it is`);
    return file;
  });
  const probed = await probeScripts(scripts);
  probed.forEach((p, k) => {
    // A spawned CLI gets its argv as UTF-8, where a lone surrogate already became U+FFFD.
    assert.equal(p.modelFile, spawned(k) ? wellFormed(cases[k].file) : cases[k].file, `case ${k}: MODEL_FILE is the path as given`);
    assert.equal(p.kerasVersion, cases[k].kerasVersion, `case ${k}: KERAS_VERSION is metadata.json's keras_version`);
    assertTerminalSafe(p.layersText, `case ${k}: the script's --layers output`);
  });
});

test('NumPy export (core): hostile Bidirectional inner names in a real tf.keras 2.15 model match the forward pass', async (t) => {
  if (!python) return t.skip(NO_NUMPY_REASON);
  // Five inner layers per file: three files carry all fourteen strings.
  const groups = [0, 5, 10].map((s) => [0, 1, 2, 3, 4].map((i) => rot(s + i)));
  await pool(groups, 3, async (names, k) => {
    const doc = await loadModel(bidirectionalNamed(names, k));
    // The reader names the forward direction as Keras does: forward_<inner name>.
    assert.deepEqual(doc.root.layers.filter((l) => l.className === 'Bidirectional').map((l) => l.children[0].name), names.map((n) => `forward_${n}`));
    const inputs = fillInputs(doc, 'ramp', {}).tensors;
    const result = await runForward(doc, inputs, { trace: false });
    const { json } = await runScript(exportNumpy(doc, inputs, { title: `bidirectional-${k}.keras` }), `Bidirectional file ${k}`);
    const want = Array.from(result.outputs[0].data);
    const got = flat(json.output);
    assert.equal(got.length, want.length);
    // The forward pass's LSTMs compute in float32 (as Keras does), the script in float64: a float32-relative bound.
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 2e-6 * (1 + Math.abs(want[i])), `file ${k}: output ${i} is ${v}, the forward pass gave ${want[i]}`));
    assert.deepEqual(json.layers.map((l) => l.name), result.layers.map((l) => l.name), `file ${k}: layer names round-trip`);
  });
});

test('CLI text: summary and forward print hostile names with no control, bidi or separator character and bounded lines', async () => {
  const dir = freshDir('text');
  for (let k = 0; k < H.length; k++) {
    const c = roleFile(k, dir);
    for (const args of [['summary', c.file], ['forward', c.file, '--fill', 'ramp', '--trace']]) {
      const r = await cliInProcess(...args);
      assert.equal(r.code, 0, `${args[0]} case ${k}: ${r.stderr}`);
      assert.equal(r.stderr, '', `${args[0]} case ${k}: nothing on stderr`);
      assertTerminalSafe(r.stdout, `${args[0]} case ${k} (${label(c.layers[1])})`);
    }
  }
  // The built binary, byte for byte as a terminal gets it: ESC/CSI/OSC and the bidi override as names.
  for (const k of [H.findIndex((h) => h.includes('\u001b')) - 3, H.findIndex((h) => h.includes('\u202e')) - 3]) {
    const c = roleFile(k, dir);
    for (const args of [['summary', c.file], ['forward', c.file, '--fill', 'ramp']]) {
      const r = await cliRun(...args);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(c.layers[1].includes('\u001b') || c.layers[1].includes('\u202e'), 'the SimpleRNN carries the escape');
      assertTerminalSafe(r.stdout, `dist/cli.js ${args[0]} with ${label(c.layers[1])}`);
    }
  }
});

test('CLI --json: valid JSON for any name, read back exactly by Node and by python3', async () => {
  const dir = freshDir('json');
  const texts: string[] = [];
  const expected: string[][] = [];
  for (let k = 0; k < H.length; k++) {
    const c = roleFile(k, dir);
    const summary = await cliInProcess('summary', c.file, '--json');
    assert.equal(summary.code, 0, summary.stderr);
    assertTerminalSafe(summary.stdout, `summary --json case ${k}`, Infinity);
    const s = JSON.parse(summary.stdout) as { kerasVersion: string; layers: { name: string }[] };
    assert.equal(s.kerasVersion, c.kerasVersion, `case ${k}: keras_version round-trips`);
    for (const n of c.layers.slice(1)) assert.ok(s.layers.some((l) => l.name === n), `case ${k}: ${label(n)} round-trips`);
    const forward = await cliInProcess('forward', c.file, '--fill', 'ramp', '--json');
    assert.equal(forward.code, 0, forward.stderr);
    assertTerminalSafe(forward.stdout, `forward --json case ${k}`, Infinity);
    const f = JSON.parse(forward.stdout) as { layers: { name: string }[]; trace: Record<string, unknown> };
    assert.ok(f.layers.some((l) => l.name === c.layers[1]) && c.layers[1] in f.trace, `case ${k}: forward names and trace keys round-trip`);
    texts.push(summary.stdout);
    expected.push([s.kerasVersion, ...s.layers.map((l) => l.name)]);
  }
  // The built binary too, with the lone surrogate as a name (Node 20 writes it as a \ud800 escape).
  const lone = roleFile(H.findIndex((h) => /[\ud800-\udfff]/.test(h)) - 3, dir);
  const bin = await cliRun('summary', lone.file, '--json');
  assert.equal(bin.code, 0, bin.stderr);
  assert.match(bin.stdout, /\\ud800/);
  assert.ok((JSON.parse(bin.stdout) as { layers: { name: string }[] }).layers.some((l) => l.name === lone.layers[1]), 'the lone surrogate round-trips');
  texts.push(bin.stdout);
  expected.push([(JSON.parse(bin.stdout) as { kerasVersion: string }).kerasVersion, ...(JSON.parse(bin.stdout) as { layers: { name: string }[] }).layers.map((l) => l.name)]);
  // Python's json reads the same texts and finds the same strings.
  const py = await runAsync(python ?? 'python3', [
    '-c',
    'import json, sys\nout = []\nfor t in json.loads(sys.stdin.buffer.read().decode("utf-8")):\n    d = json.loads(t)\n    out.append([d["kerasVersion"]] + [l["name"] for l in d["layers"]])\nsys.stdout.write(json.dumps(out))',
  ], { input: JSON.stringify(texts) });
  assert.equal(py.code, 0, `python3's json could not read the output: ${py.stderr}`);
  assert.deepEqual(JSON.parse(py.stdout), expected, 'python3 reads the same names');
});

test('CLI errors: one terminal-safe sentence of at most 300 characters when a hostile name is in the message', async () => {
  const picks = [H[0], H[6], H[10], H[12], H[13]];
  for (const [k, h] of picks.entries()) {
    // An activation the tool does not know, named with the hostile string: forward stops with exit 3.
    const b = goldenB();
    const rnn = b.config.config.layers.find((l: { class_name: string }) => l.class_name === 'SimpleRNN');
    rnn.config.activation = h;
    rnn.config.name = h;
    const file = path.join(tmp, `bad-activation-${k}.keras`);
    writeFileSync(file, kerasZip({ config: b.config, metadata: b.metadata, weights: b.weights }));
    const r = k < 2 ? await cliRun('forward', file, '--fill', 'ramp') : await cliInProcess('forward', file, '--fill', 'ramp');
    assert.equal(r.code, 3, `${label(h)}: ${r.stderr}`);
    assertOneSentence(r.stderr, `forward with activation ${label(h)}`);
    const missing = await cliInProcess('summary', path.join(tmp, `${h.replace(/\//g, '_').slice(0, 200)}.h5`));
    assert.equal(missing.code, 2);
    assertOneSentence(missing.stderr, `summary of a missing file named ${label(h)}`);
  }
});

test('CLI: hostile class names are shown inert in the summary, and forward stops at them with one sentence', async () => {
  for (const [k, h] of [H[0], H[6], H[10], H[12]].entries()) {
    const b = goldenB();
    b.config.config.layers[2].class_name = h;
    const file = path.join(tmp, `bad-class-${k}.keras`);
    writeFileSync(file, kerasZip({ config: b.config, metadata: b.metadata, weights: b.weights }));
    const summary = await cliInProcess('summary', file);
    assert.equal(summary.code, 0, summary.stderr);
    assertTerminalSafe(summary.stdout, `summary with class ${label(h)}`);
    const forward = await cliInProcess('forward', file, '--fill', 'ramp');
    assert.equal(forward.code, 3, `forward with class ${label(h)}: ${forward.stderr}`);
    assertTerminalSafe(forward.stdout, `forward with class ${label(h)}`);
    assertOneSentence(forward.stderr, `forward with class ${label(h)}`);
  }
});

test('CLI: an unexpected internal error is one generic sentence naming the file, with no JS internals', async () => {
  const file = path.join(freshDir('unexpected'), 'evil\u001b[31m\u202e.keras');
  writeFileSync(file, goldenBNamed('m'));
  const err: string[] = [];
  const code = await main(['summary', file], {
    stdout: () => {
      throw new TypeError('Invalid typed array length: undefined');
    },
    stderr: (t) => err.push(t),
  });
  assert.equal(code, 1);
  const line = assertOneSentence(err.join('\n'), 'unexpected error');
  assert.match(line, /^keras-inspect: Unexpected internal error while reading .*evil\\x1b\[31m\\u202e\.keras; please report it \(run with --debug for details\)\.$/);
});

test('NumPy export refuses config strings and numbers it does not know instead of writing them into the script', () => {
  const w = (name: string, shape: number[]) => weightRef(name, shape, new Array(shape.reduce((a, b) => a * b, 1)).fill(0.5));
  const payload = "valid', dilation=1, act=linear) or open('PWNED', 'w') or ('";
  const cases: [string, ModelDocument][] = [
    ['Conv1D padding', sequentialDoc([null, 6, 2], [layerNode('Conv1D', { filters: 1, kernel_size: [2], padding: payload }, { weights: [w('kernel', [2, 2, 1]), w('bias', [1])] })])],
    ['MaxPooling1D padding', sequentialDoc([null, 6, 2], [layerNode('MaxPooling1D', { pool_size: [2], padding: payload })])],
    ['Reshape target_shape', sequentialDoc([null, 6, 2], [layerNode('Reshape', { target_shape: ["12) or open('PWNED', 'w') or (12"] })])],
    ['Permute dims', sequentialDoc([null, 6, 2], [layerNode('Permute', { dims: ["2, 1)) or open('PWNED', 'w') or ((1"] })])],
    ['Masking mask_value', sequentialDoc([null, 6, 2], [layerNode('Masking', { mask_value: "0) or open('PWNED', 'w') or (0" })])],
    ['Dense activation path', sequentialDoc([null, 2], [layerNode('Dense', { units: 1, activation: "x\nopen('PWNED', 'w')\n#.tanh" }, { weights: [w('kernel', [2, 1]), w('bias', [1])] })])],
    [
      'SimpleRNN activation path',
      sequentialDoc([null, 3, 2], [layerNode('SimpleRNN', { units: 1, activation: "evil\nopen('PWNED', 'w')\n#.tanh" }, { weights: [w('kernel', [2, 1]), w('recurrent_kernel', [1, 1]), w('bias', [1])] })]),
    ],
    [
      'Dot axes',
      functionalDoc(
        { a: [null, 3], b: [null, 3] },
        [layerNode('Dot', { axes: ["__import__('os').system('touch PWNED')", 1] }, { calls: [{ inputs: [{ layer: 'a', node: 0, tensor: 0 }, { layer: 'b', node: 0, tensor: 0 }], kwargs: {} }] })],
        ['dot'],
      ),
    ],
  ];
  for (const [what, doc] of cases) {
    const inputs = doc.root.inputs.map((i) => ({ shape: i.shape.map((d) => d ?? 1), data: new Float64Array(i.shape.reduce<number>((a, d) => a * (d ?? 1), 1)) }));
    assert.throws(
      () => exportNumpy(doc, inputs as never),
      (e: unknown) => e instanceof UnsupportedFeatureError && !/[\n\r]/.test(e.message) && e.message.length <= 300,
      `${what}: refused with one short sentence`,
    );
  }
});

test('NumPy export: layer names that are the script\'s own functions or keywords get other variable names', async (t) => {
  if (!python) return t.skip(NO_NUMPY_REASON);
  const b = goldenB();
  // Before: a SimpleRNN named run_simple_rnn became a local that shadowed the helper it calls (UnboundLocalError).
  const names = ['run_simple_rnn', 'weights', 'lambda'];
  b.config.config.layers.forEach((l: { config: { name: string } }, i: number) => (l.config.name = names[i]));
  const file = path.join(tmp, 'own-names.keras');
  writeFileSync(file, kerasZip({ config: b.config, metadata: b.metadata, weights: b.weights }));
  const doc = await loadModel(file);
  const inputs = fillInputs(doc, 'ramp', {}).tensors;
  const result = await runForward(doc, inputs, { trace: false });
  const { json } = await runScript(exportNumpy(doc, inputs), 'names of the script\'s own functions');
  const want = Array.from(result.outputs[0].data);
  flat(json.output).forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-6, `output ${i} is ${v}, the forward pass gave ${want[i]}`));
  assert.deepEqual(json.layers.map((l) => l.name), result.layers.map((l) => l.name));
  // Before: an input named `a` was shadowed by the loop variable of LayerNormalization's comprehensions.
  const ln = sequentialDoc([null, 3], [layerNode('LayerNormalization', { axis: -1, epsilon: 0.001 }, { weights: [weightRef('gamma', [3], [1, 2, 3]), weightRef('beta', [3], [0, 0, 1])] })], 3, 'a');
  const x = [1, 2, 4];
  const lnRun = await runScript(exportNumpy(ln, [{ shape: [1, 3], data: Float64Array.from(x) }] as never), 'an input named a');
  // By hand: mean 7/3, variance 14/9; y = (x - mean) / sqrt(var + 0.001) * gamma + beta.
  const sd = Math.sqrt(14 / 9 + 0.001);
  const byHand = x.map((v, i) => ((v - 7 / 3) / sd) * [1, 2, 3][i] + [0, 0, 1][i]);
  flat(lnRun.json.output).forEach((v, i) => assert.ok(Math.abs(v - byHand[i]) <= 1e-9, `LayerNormalization ${i}: ${v} vs ${byHand[i]}`));
});

test('trace CSV: a name that starts like a formula stays text, and quotes and line breaks are quoted per RFC 4180', () => {
  assert.equal(csvField('=HYPERLINK("http://evil.example")'), `"'=HYPERLINK(""http://evil.example"")"`);
  assert.equal(csvField('+1'), "'+1");
  assert.equal(csvField('-2'), "'-2");
  assert.equal(csvField('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvField('a,b\nc'), '"a,b\nc"');
  assert.equal(csvField('lstm_1'), 'lstm_1');
});

// ---------------------------------------------------------------------------------------------
// Output paths never land on the model, its architecture JSON or the input

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

test('forward refuses --numpy / --trace-csv onto the model (also via a symlink, a hard link or ../), the input, the architecture JSON, a folder or each other', async () => {
  const dir = freshDir('overwrite');
  const model = path.join(dir, 'model.h5');
  copyFileSync(path.join(shared, 'golden/b_simplernn5_tanh.h5'), model);
  const input = path.join(dir, 'input.json');
  copyFileSync(path.join(shared, 'golden/b_simplernn5_tanh.input.json'), input);
  const weightsOnly = path.join(dir, 'patalt-simplernn-weights.h5');
  copyFileSync(path.join(shared, 'models/files/patalt-simplernn-weights.h5'), weightsOnly);
  const beside = path.join(dir, 'patalt-simplernn-weights.config.json');
  copyFileSync(path.join(shared, 'models/files/patalt-simplernn-weights.config.json'), beside);
  const arch = path.join(dir, 'arch.json');
  copyFileSync(beside, arch);
  symlinkSync(model, path.join(dir, 'link-to-model.py'));
  linkSync(model, path.join(dir, 'hard-link-to-model.py'));
  symlinkSync(path.join(dir, 'nowhere', 'x.py'), path.join(dir, 'dangling.py'));
  mkdirSync(path.join(dir, 'folder.py'));
  const guarded = [model, input, weightsOnly, beside, arch];
  const before = guarded.map((f) => ({ f, sha: sha(f), mtime: statSync(f).mtimeMs }));
  const listing = readdirSync(dir).sort();
  const cases: [string, string[], RegExp][] = [
    ['--numpy onto the model', ['forward', model, '--input', input, '--numpy', model], /is the model file/],
    ['--trace-csv onto the model', ['forward', model, '--input', input, '--trace-csv', model], /is the model file/],
    ['--numpy onto a symlink to the model', ['forward', model, '--input', input, '--numpy', path.join(dir, 'link-to-model.py')], /is the model file/],
    ['--numpy onto a hard link to the model', ['forward', model, '--input', input, '--numpy', path.join(dir, 'hard-link-to-model.py')], /is the model file/],
    ['--numpy onto the model through ../', ['forward', model, '--input', input, '--numpy', path.join(dir, 'folder.py', '..', 'model.h5')], /is the model file/],
    ['--numpy onto the input', ['forward', model, '--input', input, '--numpy', input], /is the input file/],
    ['--trace-csv onto the architecture JSON beside the model', ['forward', weightsOnly, '--fill', 'zeros', '--trace-csv', beside], /architecture JSON/],
    ['--numpy onto the --config file', ['forward', weightsOnly, '--config', arch, '--fill', 'zeros', '--numpy', arch], /architecture JSON/],
    ['--numpy onto a folder', ['forward', model, '--input', input, '--numpy', path.join(dir, 'folder.py')], /not a regular file/],
    ['--numpy onto /dev/null', ['forward', model, '--input', input, '--numpy', '/dev/null'], /not a regular file/],
    ['--numpy onto a dangling symlink', ['forward', model, '--input', input, '--numpy', path.join(dir, 'dangling.py')], /symbolic link/],
    ['--numpy and --trace-csv onto one new file', ['forward', model, '--input', input, '--numpy', path.join(dir, 'out.txt'), '--trace-csv', path.join(dir, 'out.txt')], /own file/],
  ];
  await pool(cases, 2, async ([what, args, pattern]) => {
    // The built binary for the links, the same main() in this process for the rest.
    const r = /link/.test(what) ? await cliRun(...args) : await cliInProcess(...args);
    assert.equal(r.code, 2, `${what}: exit 2, got ${r.code}: ${r.stderr}`);
    assert.match(assertOneSentence(r.stderr, what), pattern, what);
    assert.equal(r.stdout, '', `${what}: refused before anything ran`);
  });
  for (const b of before) {
    assert.equal(sha(b.f), b.sha, `${path.basename(b.f)} unchanged`);
    assert.equal(statSync(b.f).mtimeMs, b.mtime, `${path.basename(b.f)} not touched`);
  }
  assert.deepEqual(readdirSync(dir).sort(), listing, 'no file was created');
  // A plain new path still works.
  const ok = await cliInProcess('forward', model, '--input', input, '--numpy', path.join(dir, 'new.py'), '--trace-csv', path.join(dir, 'new.csv'));
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(sha(model), before[0].sha);
});

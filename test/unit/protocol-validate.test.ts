// The webview is untrusted: every field of every message is checked against the protocol (protocol.ts
// validateWebviewMessage). Each message kind is tried valid and hostile: wrong types, huge numbers, NaN, extra
// fields, path strings, 1 MB strings, typed arrays whose length contradicts their shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MESSAGE_LIMITS, parsePersistedState, parseWebviewMessage, sanitizeExportName, validateWebviewMessage } from '../../extension/protocol';

const MB_STRING = 'x'.repeat(1024 * 1024);

function refused(m: unknown, why?: RegExp): string {
  const r = validateWebviewMessage(m);
  assert.equal(r.ok, false, `accepted ${describe(m)}`);
  if (r.ok) return '';
  // One plain sentence the host can log or answer with.
  assert.ok(r.error.length < 300, `${r.error.length} chars: ${r.error}`);
  assert.doesNotMatch(r.error, /\n|\[object|undefined|TypeError/);
  if (why) assert.match(r.error, why);
  return r.error;
}

function accepted(m: unknown) {
  const r = validateWebviewMessage(m);
  assert.equal(r.ok, true, r.ok ? '' : `${r.error} for ${describe(m)}`);
  return (r as { ok: true; message: any }).message;
}

function describe(m: unknown): string {
  try {
    return JSON.stringify(m, (_k, v) => (ArrayBuffer.isView(v) ? `${v.constructor.name}(${(v as Float64Array).length})` : typeof v === 'string' && v.length > 60 ? `${v.slice(0, 20)}…(${v.length})` : v));
  } catch {
    return String(m);
  }
}

test('every message kind is accepted in its valid form, and the result is a fresh copy', () => {
  const valid: unknown[] = [
    { type: 'ready' },
    { type: 'ready', state: { fileUri: 'file:///a.h5', ui: { tab: 'model', layer: null } } },
    { type: 'run', input: { kind: 'zeros' } },
    { type: 'run', input: { kind: 'ramp', n: 2, t: 12 } },
    { type: 'run', input: { kind: 'random', seed: 42, n: 1 } },
    { type: 'run', input: { kind: 'random', seed: 2 ** 32 - 1 } },
    { type: 'run', input: { kind: 'text', text: '[[1], [2], [3]]', t: 3 } },
    { type: 'run', input: { kind: 'csv', text: 'a\n1\n2\n', column: 'a', window: 2, start: -2 } },
    { type: 'run', input: { kind: 'csv', path: '/data/s.csv', column: 0, window: 60 } },
    { type: 'run', input: { kind: 'tensors', tensors: [{ shape: [1, 3, 1], data: new Float64Array([1, 2, 3]) }] } },
    { type: 'cancel', runId: 4 },
    { type: 'reopenWith' },
    { type: 'chooseArchitecture' },
    { type: 'notify', level: 'warning', message: 'The chart could not be drawn.' },
    { type: 'selectLayer', layer: 'simple_rnn' },
    { type: 'request', id: 1, method: 'weights', params: { layer: 'lstm', weight: 'kernel' } },
    { type: 'request', id: 2, method: 'export', params: { format: 'numpy', runId: 3, png: undefined, suggestedName: undefined } },
    { type: 'request', id: 3, method: 'export', params: { format: 'png', png: new Uint8Array(8), suggestedName: 'lstm-h.png' } },
    { type: 'request', id: 4, method: 'pickCsv', params: {} },
  ];
  for (const m of valid) {
    const out = accepted(m);
    assert.notEqual(out, m, 'a new object, not the page’s');
    assert.equal(out.type, (m as { type: string }).type);
  }
  // Float32 tensors are widened to the core's Float64Array; values kept.
  const t = accepted({ type: 'run', input: { kind: 'tensors', tensors: [{ shape: [3], data: new Float32Array([1, 2, 3]) }] } });
  assert.ok(t.input.tensors[0].data instanceof Float64Array);
  assert.deepEqual([...t.input.tensors[0].data], [1, 2, 3]);
});

test('not objects, unknown types and extra fields are refused', () => {
  for (const m of [null, undefined, 'ready', 42, [], [{ type: 'ready' }], new Uint8Array(3), { type: 'eval', code: 'process.exit()' }, { type: 'readFile', path: '/etc/passwd' }, {}]) refused(m);
  refused({ type: 'reopenWith', command: 'workbench.action.terminal.new' }, /unknown field "command"/);
  refused({ type: 'cancel', runId: 1, extra: true }, /unknown field/);
  refused({ type: 'run', input: { kind: 'zeros', path: '/etc/passwd' } }, /unknown field "path"/);
  refused({ type: 'request', id: 5, method: 'pickCsv', params: { defaultUri: 'file:///etc' } }, /unknown field/);
  refused({ type: 'request', id: 5, method: 'weights', params: { layer: 'a', weight: 'b', path: '/etc/shadow' } }, /unknown field/);
  // A class instance or a prototype trick is not a plain message.
  refused(Object.assign(Object.create({ evil: 1 }), { type: 'reopenWith' }));
  refused(JSON.parse('{"type":"ready","__proto__":{"polluted":true}}'), /unknown field "__proto__"/);
});

test('numbers: wrong types, NaN, infinities, fractions, negatives and huge values are refused', () => {
  const bad = [NaN, Infinity, -Infinity, 1.5, -1, 0, 1e9 * 1e9, '10', null, true, 2 ** 53];
  for (const n of bad) {
    refused({ type: 'run', input: { kind: 'ramp', n } });
    refused({ type: 'run', input: { kind: 'zeros', t: n } });
  }
  refused({ type: 'run', input: { kind: 'ramp', t: MESSAGE_LIMITS.maxT + 1 } }, /time steps T/);
  refused({ type: 'run', input: { kind: 'ramp', n: MESSAGE_LIMITS.maxN + 1 } }, /sample count N/);
  for (const seed of [NaN, -1, 2 ** 32, 0.5, '42', undefined]) refused({ type: 'run', input: { kind: 'random', seed } }, /seed/);
  for (const window of [0, -5, NaN, 1e12, 2.5, '60']) refused({ type: 'run', input: { kind: 'csv', text: 'a\n1', column: 0, window } }, /window/);
  for (const start of [NaN, 1e12, -1e12, 0.5]) refused({ type: 'run', input: { kind: 'csv', text: 'a\n1', column: 0, window: 1, start } }, /start/);
  for (const runId of [NaN, -1, 1.5, '3', 2 ** 40]) refused({ type: 'cancel', runId }, /run id/);
  for (const id of [NaN, -1, 1.5, '3', 2 ** 40, undefined]) refused({ type: 'request', id, method: 'pickCsv', params: {} }, /request id/);
  refused({ type: 'request', id: 1, method: 'export', params: { format: 'numpy', runId: NaN } }, /run id/);
});

test('strings: enums, empty names and 1 MB strings are refused where a limit applies', () => {
  refused({ type: 'notify', level: 'critical', message: 'x' }, /level/);
  refused({ type: 'notify', level: 'error', message: MB_STRING }, /notification is 1,048,576 characters/);
  refused({ type: 'selectLayer', layer: MB_STRING.repeat(1) + 'x'.repeat(MESSAGE_LIMITS.maxName) }, /layer name/);
  refused({ type: 'selectLayer', layer: '' }, /empty/);
  refused({ type: 'selectLayer', layer: { toString: () => 'lstm' } }, /not text/);
  refused({ type: 'request', id: 1, method: 'weights', params: { layer: MB_STRING, weight: 'kernel' } }, /layer name/);
  refused({ type: 'request', id: 1, method: 'export', params: { format: 'exe' } }, /export format/);
  refused({ type: 'request', id: 1, method: 'export', params: { format: 'png', suggestedName: MB_STRING } }, /suggested file name/);
  refused({ type: 'run', input: { kind: 'csv', path: MB_STRING, column: 0, window: 1 } }, /CSV path/);
  refused({ type: 'run', input: { kind: 'csv', text: 'a', column: MB_STRING, window: 1 } }, /CSV column/);
  refused({ type: 'run', input: { kind: 'csv', column: 0, window: 1 } }, /neither a file nor text/);
  refused({ type: 'run', input: { kind: 'text', text: 'x'.repeat(MESSAGE_LIMITS.maxText + 1) } }, /typed input/);
  refused({ type: 'run', input: { kind: 'shell', text: 'rm -rf ~' } }, /kind/);
  refused({ type: 'request', id: 1, method: 'readFile', params: { path: '../../../etc/passwd' } }, /request method/);
  // A 1 MB name is within the text limit of the typed input: accepted there, it is the core's job to parse it.
  accepted({ type: 'run', input: { kind: 'text', text: MB_STRING } });
});

test('a path-traversal CSV path passes the shape check only: the host still refuses paths the user did not pick', () => {
  // The validator checks the field; inspectorPanel.ts checks the path against the files picked in its dialog.
  const m = accepted({ type: 'run', input: { kind: 'csv', path: '../../../../etc/passwd', column: 0, window: 1 } });
  assert.equal(m.input.path, '../../../../etc/passwd');
});

test('typed arrays: wrong kinds, shapes that contradict the data, and oversized tensors are refused', () => {
  const run = (tensors: unknown) => ({ type: 'run', input: { kind: 'tensors', tensors } });
  refused(run([{ shape: [1, 10, 3], data: new Float64Array(29) }]), /holds 29 numbers but its shape 1×10×3 needs 30/);
  refused(run([{ shape: [1, 3], data: [1, 2, 3] }]), /not a Float64Array/);
  refused(run([{ shape: [3], data: new Uint8Array(3) }]), /not a Float64Array/);
  refused(run([{ shape: [3], data: new Int32Array(3) }]), /not a Float64Array/);
  refused(run([{ shape: [-1, 3], data: new Float64Array(3) }]), /dimension 0/);
  refused(run([{ shape: [1.5, 2], data: new Float64Array(3) }]), /dimension 0/);
  refused(run([{ shape: [NaN], data: new Float64Array(0) }]), /dimension 0/);
  refused(run([{ shape: [], data: new Float64Array(1) }]), /rank 0/);
  refused(run([{ shape: [1, 1, 1, 1, 1, 1, 1, 1, 1], data: new Float64Array(1) }]), /rank 9/);
  // A shape claiming 10^18 numbers is refused before its product is used, whatever the data holds.
  refused(run([{ shape: [1e6, 1e6, 1e6], data: new Float64Array(1) }]), /dimension 0|numbers, over/);
  refused(run([{ shape: [8192, 8192], data: new Float64Array(1) }]), /67,108,864 numbers, over/);
  refused(run([]), /list of 1 to/);
  refused(run('tensors'), /list of 1 to/);
  refused(run(Array.from({ length: MESSAGE_LIMITS.maxTensors + 1 }, () => ({ shape: [1], data: new Float64Array(1) }))), /list of 1 to/);
  refused(run([{ shape: [1], data: new Float64Array(1), dtype: 'object' }]), /unknown field "dtype"/);
  // The budget is over all tensors together.
  const half = MESSAGE_LIMITS.maxTensorNumbers / 2 + 1;
  refused(run([{ shape: [half], data: new Float64Array(half) }, { shape: [half], data: new Float64Array(half) }]), /together/);
  // PNG bytes: only Uint8Array, only for a png export, within the size limit.
  refused({ type: 'request', id: 9, method: 'export', params: { format: 'png', png: [137, 80, 78, 71] } }, /Uint8Array/);
  refused({ type: 'request', id: 9, method: 'export', params: { format: 'png', png: new Float64Array(4) } }, /Uint8Array/);
  refused({ type: 'request', id: 9, method: 'export', params: { format: 'numpy', png: new Uint8Array(4) } }, /only a PNG/);
});

test('a refused request keeps its id so the host can answer it; a refused id is dropped', () => {
  const r = validateWebviewMessage({ type: 'request', id: 17, method: 'weights', params: { layer: 5, weight: 'kernel' } });
  assert.equal(r.ok, false);
  assert.equal((r as { id?: number }).id, 17);
  const r2 = validateWebviewMessage({ type: 'request', id: 'x', method: 'weights', params: {} });
  assert.equal((r2 as { id?: number }).id, undefined);
  assert.equal(parseWebviewMessage({ type: 'request', id: 17, method: 'weights', params: {} }), undefined);
});

test('saved state: a usable one is kept, a bomb or a wrong shape is dropped without refusing ready', () => {
  assert.deepEqual(parsePersistedState({ fileUri: 'file:///m.keras', ui: { a: [1, 2] } }), { fileUri: 'file:///m.keras', ui: { a: [1, 2] } });
  assert.equal(parsePersistedState({ fileUri: 5 }), undefined);
  assert.equal(parsePersistedState({ fileUri: 'file:///m.keras', extra: 1 }), undefined);
  let deep: unknown = 1;
  for (let i = 0; i < 200; i++) deep = [deep];
  assert.equal(parsePersistedState({ fileUri: 'file:///m', ui: deep }), undefined);
  const wide = Array.from({ length: MESSAGE_LIMITS.maxStateNodes + 10 }, () => 0);
  assert.equal(parsePersistedState({ fileUri: 'file:///m', ui: wide }), undefined);
  const m = accepted({ type: 'ready', state: { fileUri: 'file:///m', ui: deep } });
  assert.equal(m.state, undefined, 'ready is kept, the unusable state dropped');
});

test('validation is fast on the largest accepted messages (no work proportional to claims)', () => {
  const t0 = performance.now();
  refused({ type: 'run', input: { kind: 'tensors', tensors: [{ shape: [2 ** 31 - 1, 2 ** 31 - 1], data: new Float64Array(4) }] } });
  for (let i = 0; i < 1000; i++) validateWebviewMessage({ type: 'selectLayer', layer: MB_STRING + MB_STRING });
  assert.ok(performance.now() - t0 < 1000, `${(performance.now() - t0).toFixed(0)} ms`);
});

test("an export's suggested name keeps only a safe base name with the format's own extension", () => {
  const cases: [string | undefined, string, string][] = [
    ['lstm-h.png', 'png', 'lstm-h.png'],
    ['../../../../home/user/.bashrc', 'py', 'bashrc.py'],
    ['/etc/cron.d/job', 'csv', 'job.csv'],
    ['..\\..\\Windows\\System32\\evil.dll', 'png', 'evil.png'],
    ['model.h5', 'py', 'model.py'],
    ['model.keras', 'json', 'model.json'],
    ['evil\u202egnp.exe', 'png', 'evilgnp.png'],
    ['a\nb\u0000c\u001b[31m.py', 'py', 'abc_31m.py'],
    ['$(touch PWNED);`id`.py', 'py', '_(touch PWNED)__id_.py'],
    ['...', 'csv', 'fallback.csv'],
    ['', 'csv', 'fallback.csv'],
    [undefined, 'csv', 'fallback.csv'],
    ['CON', 'py', 'fallback.py'],
  ];
  for (const [given, ext, want] of cases) assert.equal(sanitizeExportName(given, ext, 'fallback'), want, JSON.stringify(given));
  const long = sanitizeExportName('n'.repeat(10_000) + '.png', 'png', 'f');
  assert.equal(long, 'n'.repeat(100) + '.png');
});

// The host never trusts the webview's messages: the guard accepts the protocol's shapes and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeInput, isWebviewMessage } from '../../extension/protocol';

test('isWebviewMessage accepts every webview message type', () => {
  const ok: unknown[] = [
    { type: 'ready' },
    { type: 'ready', state: { fileUri: 'file:///a.h5', ui: { step: 3 } } },
    { type: 'run', input: { kind: 'ramp' } },
    { type: 'cancel', runId: 4 },
    { type: 'reopenWith' },
    { type: 'notify', level: 'error', message: 'x' },
    { type: 'selectLayer', layer: 'lstm' },
    { type: 'request', id: 1, method: 'weights', params: { layer: 'lstm', weight: 'kernel' } },
    { type: 'request', id: 2, method: 'export', params: { format: 'png', png: new Uint8Array(3) } },
    { type: 'request', id: 3, method: 'pickCsv', params: {} },
  ];
  for (const m of ok) assert.equal(isWebviewMessage(m), true, JSON.stringify(m));
});

test('isWebviewMessage rejects unknown types, methods and malformed fields', () => {
  const bad: unknown[] = [
    null,
    'ready',
    {},
    { type: 'eval', code: '1' },
    { type: 'run' },
    { type: 'run', input: 'ramp' },
    { type: 'cancel', runId: '4' },
    { type: 'request', id: '1', method: 'weights', params: {} },
    { type: 'request', id: 1, method: 'readFile', params: { path: '/etc/passwd' } },
    { type: 'request', id: 1, method: 'weights' },
    { type: 'notify', level: 'error' },
  ];
  for (const m of bad) assert.equal(isWebviewMessage(m), false, JSON.stringify(m));
});

test('describeInput names each input choice in one line', () => {
  assert.equal(describeInput({ kind: 'zeros' }), 'zeros');
  assert.equal(describeInput({ kind: 'ramp', t: 12 }), 'ramp 1..T (T=12)');
  assert.equal(describeInput({ kind: 'random', seed: 42, n: 2 }), 'seeded random (seed 42) (N=2)');
  assert.equal(describeInput({ kind: 'csv', column: 1, window: 60 }), 'CSV column 1, window 60');
  assert.equal(describeInput({ kind: 'text', text: '[1]' }), 'typed values');
});

// The core's sentences name CLI flags; in VS Code the same advice names a button or a field (vscodeWords.ts).
// The sentences here come from the core itself, on real files, so a rewording on either side is caught.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel } from '../../extension/keras/documentNode';
import { inVsCodeWords } from '../../extension/vscodeWords';

const shared = path.resolve(import.meta.dirname, '../../../shared');

test('a weights-only file without its architecture: the advice names "Choose architecture JSON…", not --config', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kri-words-'));
  try {
    const file = path.join(dir, 'alone.weights.h5');
    fs.copyFileSync(path.join(shared, 'models/files/patalt-simplernn-weights.h5'), file);
    const message = await loadModel(file).then(() => '', (e: Error) => e.message);
    assert.match(message, /--config/, `the core's sentence is the CLI's: ${message}`);
    const said = inVsCodeWords(message);
    assert.doesNotMatch(said, /--[a-z]/, said);
    assert.match(said, /"Choose architecture JSON…"/, said);
    assert.match(said, /alone\.json/, 'the other way (a JSON beside the file) is kept');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a sentence without a flag is left as it is', () => {
  const s = 'lfs-pointer.h5 is a Git LFS pointer to a 160,967,424-byte file, not the model: run `git lfs pull` to fetch it.';
  assert.equal(inVsCodeWords(s), s);
});

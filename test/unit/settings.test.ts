// Settings validation (extension/settingsSpec.ts): nonsense falls back to the default, and the defaults and ranges
// agree with what package.json declares (the Settings UI shows those). The openH5InInspector association rule:
// our editor only where nobody chose one, and only our own entries removed.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { OPEN_H5_DEFAULT, OPEN_H5_KEY, SECTION, SETTINGS, booleanSetting, h5Associations, wholeNumberSetting } from '../../extension/settingsSpec';

const pkg = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8'));
const declared: Record<string, { type: string; default: unknown; minimum?: number; maximum?: number; markdownDescription: string }> =
  pkg.contributes.configuration.properties;

test('the defaults fixed by the contract', () => {
  assert.equal(SETTINGS.defaultTimeSteps.default, 10);
  assert.equal(SETTINGS.randomSeed.default, 42);
  assert.equal(SETTINGS.digits.default, 6);
  assert.equal(SETTINGS.askBeforeOpeningMB.default, 200);
  assert.equal(SETTINGS.memoryLimitMB.default, 256);
  assert.equal(OPEN_H5_DEFAULT, false);
});

test('package.json declares every setting with the same default and range, and its description names the default', () => {
  for (const spec of Object.values(SETTINGS)) {
    const d = declared[`${SECTION}.${spec.key}`];
    assert.ok(d, `${spec.key} is declared`);
    assert.equal(d.type, 'integer', spec.key);
    assert.equal(d.default, spec.default, spec.key);
    assert.equal(d.minimum, spec.min, spec.key);
    assert.equal(d.maximum, spec.max, spec.key);
    assert.match(d.markdownDescription, new RegExp(`default \`${spec.default}\``), `${spec.key}'s description names its default`);
  }
  const h5 = declared[`${SECTION}.${OPEN_H5_KEY}`];
  assert.equal(h5.type, 'boolean');
  assert.equal(h5.default, OPEN_H5_DEFAULT);
  assert.match(h5.markdownDescription, /default `false`/);
  assert.match(h5.markdownDescription, /workbench\.editorAssociations/);
});

test('whole-number settings: in range kept, nonsense gives the default', () => {
  const t = SETTINGS.defaultTimeSteps;
  assert.equal(wholeNumberSetting(25, t), 25);
  assert.equal(wholeNumberSetting(1, t), 1);
  assert.equal(wholeNumberSetting(100_000, t), 100_000);
  for (const bad of [0, -3, 2.5, 100_001, Number.NaN, Infinity, '12', null, undefined, {}, [12], true]) {
    assert.equal(wholeNumberSetting(bad, t), 10, `defaultTimeSteps ${String(bad)}`);
  }
  assert.equal(wholeNumberSetting(0, SETTINGS.randomSeed), 0, 'seed 0 is a seed');
  assert.equal(wholeNumberSetting(2 ** 32, SETTINGS.randomSeed), 42);
  assert.equal(wholeNumberSetting(0, SETTINGS.askBeforeOpeningMB), 0, '0 = never ask');
  assert.equal(wholeNumberSetting(18, SETTINGS.digits), 6, 'above the 17 digits a double holds');
  assert.equal(wholeNumberSetting(3, SETTINGS.digits), 3);
  assert.equal(wholeNumberSetting(8, SETTINGS.memoryLimitMB), 256, 'below the 16 MB minimum');
});

test('boolean settings: only true/false count', () => {
  assert.equal(booleanSetting(true, false), true);
  assert.equal(booleanSetting(false, true), false);
  for (const bad of ['true', 1, null, undefined]) assert.equal(booleanSetting(bad, false), false);
});

test('openH5InInspector: our editor only where nobody chose one; off removes only our own entries', () => {
  const ours = 'kerasRnnInspector.modelEditorH5';
  assert.deepEqual(h5Associations(undefined, true, ours), { '*.h5': ours, '*.hdf5': ours });
  assert.deepEqual(h5Associations({ '*.png': 'imagePreview' }, true, ours), { '*.png': 'imagePreview', '*.h5': ours, '*.hdf5': ours });
  // The user gave *.h5 to an HDF5 viewer: kept; *.hdf5 still free.
  assert.deepEqual(h5Associations({ '*.h5': 'h5web.viewer' }, true, ours), { '*.h5': 'h5web.viewer', '*.hdf5': ours });
  assert.equal(h5Associations({ '*.h5': ours, '*.hdf5': ours }, true, ours), undefined, 'nothing to write');
  assert.deepEqual(h5Associations({ '*.h5': ours, '*.hdf5': 'other', '*.txt': 'default' }, false, ours), { '*.hdf5': 'other', '*.txt': 'default' });
  assert.equal(h5Associations({ '*.h5': 'h5web.viewer' }, false, ours), undefined, 'the user\'s own association is left');
  assert.equal(h5Associations(undefined, false, ours), undefined);
  assert.equal(h5Associations([{ viewType: 'x', filenamePattern: '*.h5' }], true, ours), undefined, 'the old array form is not rewritten');
  assert.equal(h5Associations('nonsense', true, ours), undefined);
});

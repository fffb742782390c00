// Settings inside the real VS Code: a change applies at once, without reloading the window. The extension itself
// (its own onDidChangeConfiguration listener, not this test) writes workbench.editorAssociations when
// openH5InInspector is turned on, keeps an association the user made, and removes only its own when turned off.
// Nonsense values read as the default.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { defaultTimeSteps, digits, randomSeed } from '../../../extension/settings';
import { waitFor } from './wait';

const EXTENSION_ID = 'keras-rnn-inspector.keras-rnn-inspector';
const OURS = 'kerasRnnInspector.modelEditorH5';
const G = vscode.ConfigurationTarget.Global;
const ours = () => vscode.workspace.getConfiguration('kerasRnnInspector');
const associations = () => (vscode.workspace.getConfiguration('workbench').inspect<Record<string, string>>('editorAssociations')?.globalValue ?? {});

suite('Settings', function () {
  this.timeout(60_000);

  suiteSetup(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)!.activate();
  });

  suiteTeardown(async () => {
    for (const k of ['defaultTimeSteps', 'randomSeed', 'digits', 'openH5InInspector']) await ours().update(k, undefined, G);
    await vscode.workspace.getConfiguration('workbench').update('editorAssociations', undefined, G);
  });

  test('a changed value is read at once; nonsense reads as the default', async () => {
    assert.equal(defaultTimeSteps(), 10);
    await ours().update('defaultTimeSteps', 25, G);
    assert.equal(defaultTimeSteps(), 25);
    await ours().update('defaultTimeSteps', -4, G);
    assert.equal(defaultTimeSteps(), 10, 'a negative T falls back to 10');
    await ours().update('randomSeed', 7, G);
    assert.equal(randomSeed(), 7);
    await ours().update('digits', 'many', G);
    assert.equal(digits(), 6, 'a string falls back to 6');
    await ours().update('digits', 3, G);
    assert.equal(digits(), 3);
  });

  test('openH5InInspector on: *.h5 and *.hdf5 open in the inspector; the user\'s own choice is kept; off removes only ours', async () => {
    const wb = vscode.workspace.getConfiguration('workbench');
    await wb.update('editorAssociations', { '*.hdf5': 'someone.elses.viewer' }, G);
    await ours().update('openH5InInspector', true, G);
    const on = await waitFor('the extension to associate *.h5 with its editor', () => (associations()['*.h5'] === OURS ? associations() : undefined), 15_000);
    assert.equal(on['*.hdf5'], 'someone.elses.viewer', 'the user\'s association for *.hdf5 is kept');
    await ours().update('openH5InInspector', false, G);
    const off = await waitFor('the extension to remove its association', () => (associations()['*.h5'] === undefined ? associations() : undefined), 15_000);
    assert.deepEqual(off, { '*.hdf5': 'someone.elses.viewer' });
  });
});

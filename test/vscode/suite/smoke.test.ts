// Smoke suite: the extension loads in the real extension host, activates, and registers every command its
// manifest contributes. Proves the offline runner end to end; feature suites live beside this file.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'keras-rnn-inspector.keras-rnn-inspector';

suite('smoke: extension host', () => {
  test('the extension is present and activates', async function () {
    this.timeout(60_000);
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is not loaded in the extension host`);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  test('every contributed command is registered after activation', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    await ext.activate();
    const contributed: string[] = (ext.packageJSON?.contributes?.commands ?? []).map((c: { command: string }) => c.command);
    assert.ok(contributed.length > 0, 'the manifest contributes no commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  test('runs inside VS Code 1.100 or later with a workspace folder open', () => {
    const [major, minor] = vscode.version.split('.').map(Number);
    assert.ok(major > 1 || (major === 1 && minor >= 100), `VS Code ${vscode.version}`);
    assert.ok((vscode.workspace.workspaceFolders ?? []).length >= 1, 'no workspace folder is open');
  });
});

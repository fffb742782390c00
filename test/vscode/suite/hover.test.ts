// Python hovers in the real VS Code finish the count from the layer before: Dense(2) after
// SimpleRNN(5, input_shape=(10, 3)) reads D = 5, 5·2 + 2 = 12, in a .py file and in a Jupyter notebook (.ipynb,
// opened with VS Code's built-in ipynb serializer), where the Dense cell sees the SimpleRNN in the cell above.
// The hovers are asked through vscode.executeHoverProvider on the file's and the notebook cell's document URIs.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'keras-rnn-inspector.keras-rnn-inspector';

async function hoverText(uri: vscode.Uri, pos: vscode.Position): Promise<string> {
  const hovers = (await vscode.commands.executeCommand('vscode.executeHoverProvider', uri, pos)) as vscode.Hover[];
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
}

/** A scratch folder (the workspace when the runner gives one, so the files are like a user's). */
function scratch(): string {
  const base = process.env.KRI_TEST_WORKSPACE && fs.existsSync(process.env.KRI_TEST_WORKSPACE) ? process.env.KRI_TEST_WORKSPACE : os.tmpdir();
  return fs.mkdtempSync(path.join(base, 'hover-'));
}

suite('Python hovers finish the count', () => {
  suiteSetup(async function () {
    this.timeout(120_000);
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed in this VS Code`);
    await ext.activate();
  });

  test('.py file: Dense(2) after SimpleRNN(5, input_shape=(10, 3)) reads D = 5 and 5·2 + 2 = 12', async () => {
    const file = path.join(scratch(), 'rnn_model.py');
    const content = [
      'from keras.models import Sequential',
      'from keras.layers import SimpleRNN, Dense',
      '',
      'model = Sequential()',
      'model.add(SimpleRNN(5, input_shape=(10, 3)))',
      'model.add(Dense(2))',
      '',
    ].join('\n');
    fs.writeFileSync(file, content);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    assert.equal(doc.languageId, 'python');
    const dense = await hoverText(doc.uri, doc.positionAt(content.indexOf('Dense(2)') + 2));
    // D = 5 (the SimpleRNN's M), K = 2: 5·2 + 2 = 12
    assert.match(dense, /5·2 \+ 2 = 12/);
    assert.match(dense, /12 params/);
    assert.match(dense, /D = 5 \(the width of the layer before: SimpleRNN's M\)/);
    assert.doesNotMatch(dense, /input features per time step/);
    // 3·5 + 5·5 + 5 = 45
    assert.match(await hoverText(doc.uri, doc.positionAt(content.indexOf('SimpleRNN(5') + 2)), /3·5 \+ 5·5 \+ 5 = 45/);
  });

  test('.ipynb notebook: the Dense cell sees the SimpleRNN in the cell above and reads 5·2 + 2 = 12', async () => {
    const file = path.join(scratch(), 'rnn_model.ipynb');
    const cell = (source: string) => ({ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: source.split(/(?<=\n)/) });
    const notebook = {
      cells: [
        cell('from keras import Sequential\nfrom keras.layers import SimpleRNN, Dense\nmodel = Sequential()'),
        cell('model.add(SimpleRNN(5, input_shape=(10, 3)))'),
        cell('model.add(Dense(2))\nmodel.summary()'),
      ],
      metadata: { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' }, language_info: { name: 'python' } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    fs.writeFileSync(file, JSON.stringify(notebook, null, 1));
    const nb = await vscode.workspace.openNotebookDocument(vscode.Uri.file(file));
    assert.equal(nb.cellCount, 3);
    const denseCell = nb.cellAt(2).document;
    assert.equal(denseCell.languageId, 'python');
    const text = await hoverText(denseCell.uri, denseCell.positionAt(denseCell.getText().indexOf('Dense') + 2));
    assert.match(text, /5·2 \+ 2 = 12/);
    assert.match(text, /D = 5 \(the width of the layer before: SimpleRNN's M\)/);
    // The same cell in a notebook without the cells above has no layer before it to read: D stays unknown.
    const alone = await vscode.workspace.openNotebookDocument('jupyter-notebook', new vscode.NotebookData([new vscode.NotebookCellData(vscode.NotebookCellKind.Code, 'model.add(Dense(2))', 'python')]));
    const aloneText = await hoverText(alone.cellAt(0).document.uri, new vscode.Position(0, 12));
    assert.match(aloneText, /D = \? \(from the layer before: unknown\)/);
    assert.doesNotMatch(aloneText, /= 12/);
  });
});

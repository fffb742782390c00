// The same mocha suites in desktop VS Code through @vscode/test-electron, for machines that can download VS Code
// (a developer's laptop, a hosted CI runner). This project's machines cannot (the download host is unreachable),
// so `npm test` runs the suites in code-server instead (run-extension-tests.ts); this runner is the portable path.
//   npm run build && npm run build:tests && node --import tsx test/vscode/run-electron-tests.ts [--version 1.100.3]
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { makeWorkspace, repoRoot } from './harness';

async function main(): Promise<number> {
  const i = process.argv.indexOf('--version');
  const version = i >= 0 ? process.argv[i + 1] : '1.100.3'; // the oldest VS Code the manifest accepts (^1.100.0)
  const ws = makeWorkspace();
  try {
    return await runTests({
      version,
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: path.join(repoRoot, 'out/test/index.js'),
      launchArgs: [ws.dir, '--disable-extensions', '--disable-workspace-trust'],
    });
  } finally {
    ws.remove();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`VS Code tests could not run: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);

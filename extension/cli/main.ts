// keras-inspect: the terminal face of the same core the extension uses.
//   keras-inspect summary MODEL [--config ARCH.json] [--json]
//   keras-inspect forward MODEL --input FILE [--config ARCH.json] [--trace] [--json] [--numpy OUT.py]
// Exit codes: 0 ok, 2 bad usage or input, 3 unsupported feature, 4 not a readable Keras model file.

import { InputError, InspectorError, describeThrown } from '../keras/errors';
import type { CliIo } from './io';
import { runSummaryCommand } from './summaryCommand';

const USAGE = `Usage:
  keras-inspect summary MODEL [--config ARCH.json] [--json]
  keras-inspect forward MODEL (--input FILE | --fill zeros|ramp|random[:SEED]) [--config ARCH.json]
                        [--trace | --no-trace] [--json] [--numpy OUT.py] [--trace-csv OUT.csv]
                        [--column C] [--window LEN[@START]] [--N n] [--T n]
  keras-inspect forward --help      (every forward option and the JSON shape)
Options:
  --config ARCH.json  architecture JSON (model.to_json()) for a weights-only file
  --json              machine-readable output
  --debug             show the stack trace of an error
Exit codes: 0 ok, 2 bad usage or input, 3 unsupported feature, 4 not a readable Keras model file.`;

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  const debug = argv.includes('--debug');
  try {
    if (!command || command === '--help' || command === '-h' || command === 'help') {
      io.stdout(USAGE);
      return command ? 0 : 2;
    }
    if (command === 'summary') return await runSummaryCommand(rest, io);
    if (command === 'forward') {
      const { runForwardCommand } = await import('./forwardCommand');
      return await runForwardCommand(rest, io);
    }
    throw new InputError(`Unknown command "${command}"; use summary or forward (keras-inspect --help).`);
  } catch (e) {
    if (e instanceof InspectorError) {
      io.stderr(`keras-inspect: ${e.message}`);
      if (debug && e.stack) io.stderr(e.stack);
      return e.exitCode;
    }
    io.stderr(`keras-inspect: unexpected error: ${describeThrown(e)}`);
    if (debug && e instanceof Error && e.stack) io.stderr(e.stack);
    return 1;
  }
}

if (require.main === module) {
  // `keras-inspect summary big.h5 | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  main(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t + '\n'),
    stderr: (t) => process.stderr.write(t + '\n'),
  }).then((code) => {
    process.exitCode = code;
  });
}

// keras-inspect: the terminal face of the same core the extension uses.
//   keras-inspect summary MODEL [--config ARCH.json] [--json]
//   keras-inspect forward MODEL --input FILE [--config ARCH.json] [--trace] [--json] [--numpy OUT.py]
// Exit codes: 0 ok, 2 bad usage or input, 3 unsupported feature, 4 not a readable Keras model file.

import { InputError, InspectorError, describeThrown, oneSentence } from '../keras/errors';
import { terminalSafe } from '../keras/safeText';
import type { CliIo } from './io';
import { runSummaryCommand } from './summaryCommand';
import { cell } from './text';

const USAGE = `Usage:
  keras-inspect summary MODEL [--config ARCH.json] [--json]
  keras-inspect forward MODEL (--input FILE | --fill zeros|ramp|random[:SEED]) [--config ARCH.json]
                        [--trace | --no-trace] [--json] [--numpy OUT.py] [--trace-csv OUT.csv]
                        [--column C] [--window LEN[@START]] [--N n] [--T n]
                        [--state-in FILE] [--state-out FILE]
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
    throw new InputError(`Unknown command "${cell(command, 32)}"; use summary or forward (keras-inspect --help).`);
  } catch (e) {
    // One line, at most 300 characters, controls made visible: messages quote names from the file.
    if (e instanceof InspectorError) {
      io.stderr(oneSentence(`keras-inspect: ${e.message}`));
      if (debug && e.stack) io.stderr(debugText(e.stack));
      return e.exitCode;
    }
    // Not an error a user can meet: no JS internals, just what was being read and how to learn more.
    const model = modelArgument(rest);
    io.stderr(oneSentence(`keras-inspect: Unexpected internal error while reading ${model ? cell(model, 120) : 'the command line'}; please report it (run with --debug for details).`));
    if (debug) io.stderr(debugText(e instanceof Error && e.stack ? e.stack : describeThrown(e)));
    return 1;
  }
}

/** A stack trace for --debug: each line terminal-safe (messages quote names from the file). */
function debugText(text: string): string {
  return text
    .split('\n')
    .map((l) => terminalSafe(l))
    .join('\n');
}

/** Options whose next argument is their value, not the model. */
const TAKES_VALUE = new Set(['--config', '--input', '-i', '--fill', '--N', '--T', '--column', '--window', '--numpy', '--trace-csv', '--state-in', '--state-out', '--memory-limit']);

/** The model path on the command line, for the unexpected-error sentence. */
function modelArgument(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (TAKES_VALUE.has(args[i])) i++;
    else if (!args[i].startsWith('-')) return args[i];
  }
  return undefined;
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

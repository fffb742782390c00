// Where the CLI writes: real stdout/stderr in the binary, buffers in tests.
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

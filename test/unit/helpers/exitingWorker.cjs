// A worker that exits with code 3 on its first message: how a forward worker that dies (out of memory, a native
// crash) looks to the session. Real thread, real exit.
require('node:worker_threads').parentPort.on('message', () => process.exit(3));

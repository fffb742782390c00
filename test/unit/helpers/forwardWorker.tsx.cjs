// Runs extension/forwardWorker.ts in a worker thread from its TypeScript source (unit tests; the extension
// uses the bundled dist/forwardWorker.js). Node 20 does not pass --import loaders on to worker threads.
require('tsx/cjs/api').register();
require('../../../extension/forwardWorker.ts');

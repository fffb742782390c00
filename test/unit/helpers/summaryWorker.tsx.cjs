// Runs extension/summaryWorker.ts in a worker thread from its TypeScript source (unit tests; the extension
// uses the bundled dist/summaryWorker.js). Node 20 does not pass --import loaders on to worker threads.
require('tsx/cjs/api').register();
require('../../../extension/summaryWorker.ts');

// The one worker-thread bundle (dist/worker.js): it reads models for the host (summaryWorker.ts, `summarize`
// messages) and runs forward passes (forwardWorker.ts, `run` messages). Each module answers only its own message
// types, so both share one copy of the reading core in the package instead of two.

import './summaryWorker';
import './forwardWorker';

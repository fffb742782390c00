// Live recompute as you type. A small model (its weights sent once by the host as a portable model) is run in the
// page itself. When the last pass and view update took under QUICK_MS, an edit runs at once, inside the keystroke's
// own task, so the very next frame paints it; a slower model's edits wait for the next animation frame instead, so
// the edits typed within one frame are coalesced into one pass, shown in place before that frame paints. Views that
// are not on screen (the Results tab behind Input) are brought up to date when they are shown, not per keystroke.
// Once typing pauses (SYNC_MS), the same values are also run by the host, so exports and a reloaded panel hold this
// input; that result replaces the page's only when no edit came since. Without a portable model (still on its way,
// too large for the page, a continued stateful run) each edit is posted to the host instead: run at once when no
// host live run is in flight, else one trailing run with the latest values; results older than the newest started
// one are dropped.
// Marks: `live-edit` at the keystroke, `live-shown` in the task after the frame that painted the result (bench/live.ts).

import type { LiveTiming, RunResult } from '../../extension/protocol';
import type { ModelDocument } from '../../extension/keras/model';
import type { Tensor } from '../../extension/keras/tensor';
import { runInPage } from '../logic/livePass';

/** Wall-clock ms with sub-ms resolution, comparable with the extension host's and its worker's. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** After this long without an edit, the values shown are run by the host too (exports, reload). */
export const SYNC_MS = 300;

/**
 * Multiply-adds a pass may cost to run in the page (about N·T·parameters): beyond it the page would stall for more
 * than a frame or two, so the host's worker runs it. 50k parameters × T = 100 is 5·10⁶.
 */
export const PAGE_MAC_BUDGET = 2e7;

/** A pass plus view update under this runs inside the keystroke's task (well within one 60 Hz frame). */
export const QUICK_MS = 6;

/** What the benchmark reads from a `live-shown` mark's detail (wall-clock ms). */
export interface LiveShown extends Partial<LiveTiming> {
  runId: number;
  /** Computed in the page (no host round trip). */
  local?: boolean;
  /** The first edit this pass covers (the earliest of those coalesced). */
  editAt?: number;
  /** Page pass: the pass began (in the keystroke's task, or at the next frame), the pass ended, the views were updated. */
  frameAt?: number;
  computedAt?: number;
  updatedAt?: number;
  /** Host pass: when the page got the result. */
  receivedAt?: number;
  /** The task after the frame that painted the updated views. */
  shownAt: number;
}

export interface LiveHooks {
  /** Posts a host live run of the editor's current values; false when there is nothing valid to run. */
  send(editAt: number): boolean;
  /** The editor's tensors when the page may run them itself, else null (invalid, over the budget, continued state). */
  localInput(): Tensor[] | null;
  /** Shows a page-computed result (views updated in place). */
  showLocal(result: RunResult): void;
}

export class LiveRunner {
  private inFlight = false;
  /** The edit time of a trailing host run waiting for the one in flight. */
  private trailing: { editAt: number; sync: boolean } | null = null;
  private readonly liveIds = new Set<number>();
  /** Host live runs that sync the page's values (not an edit of their own), and whether the one posted last is one. */
  private readonly syncIds = new Set<number>();
  private postedSync = false;
  private newest = 0;
  /** The model as the page runs it, once the host sent it. */
  private doc: ModelDocument | null = null;
  private frame = 0;
  private firstEditAt: number | null = null;
  private syncTimer = 0;
  /** Page results shown so far, and how many of them the last host sync run covers. */
  private localSeq = 0;
  private syncedSeq = 0;
  private nextLocalId = 0;
  /** The last page pass with its view update, ms (Infinity until one ran: the first waits for a frame). */
  private lastLocalMs = Infinity;
  private running = false;

  constructor(private readonly hooks: LiveHooks) {}

  /** The page may run this model itself (null: it may not, or the model changed). */
  setModel(doc: ModelDocument | null): void {
    this.doc = doc;
  }

  get hasModel(): boolean {
    return this.doc !== null;
  }

  /** How many page-computed results were shown (tests read it as `data-seq`). */
  get shownCount(): number {
    return this.localSeq;
  }

  /** An input cell changed (a keystroke), or a fill replaced the values. */
  edit(editAt = wallNow()): void {
    performance.mark('live-edit', { detail: { editAt } });
    window.clearTimeout(this.syncTimer);
    this.syncTimer = 0;
    if (this.doc) {
      this.firstEditAt ??= editAt;
      if (!this.frame && !this.running && this.lastLocalMs < QUICK_MS) void this.runLocal(false);
      else if (!this.frame) this.frame = requestAnimationFrame(() => void this.runLocal(true));
      return;
    }
    this.request(editAt);
  }

  private async runLocal(inFrame: boolean): Promise<void> {
    this.frame = 0;
    const editAt = this.firstEditAt ?? wallNow();
    this.firstEditAt = null;
    const frameAt = wallNow();
    const doc = this.doc;
    const tensors = doc ? this.hooks.localInput() : null;
    if (!doc || !tensors) {
      this.request(editAt);
      return;
    }
    let result: RunResult;
    this.running = true;
    try {
      result = await runInPage(doc, tensors, -++this.nextLocalId);
    } catch {
      // The host's run says what is wrong, in its words.
      this.request(editAt);
      return;
    } finally {
      this.running = false;
    }
    // A newer edit is already waiting for the next frame: it will show its own result.
    if (this.frame) return;
    const computedAt = wallNow();
    this.localSeq++;
    this.hooks.showLocal(result);
    const updatedAt = wallNow();
    this.lastLocalMs = updatedAt - frameAt;
    // A task posted from inside a frame runs after that frame's paint; from the keystroke's task, wait for the frame.
    const markShown = () =>
      setTimeout(() => {
        const detail: LiveShown = { runId: result.runId, local: true, editAt, frameAt, computedAt, updatedAt, shownAt: wallNow() };
        performance.mark('live-shown', { detail });
      }, 0);
    if (inFrame) markShown();
    else requestAnimationFrame(markShown);
    this.syncTimer = window.setTimeout(() => this.sync(), SYNC_MS);
  }

  /** Typing paused: the host runs the values shown, so its kept run (exports, reload) is this one. */
  private sync(): void {
    this.syncTimer = 0;
    if (this.frame) return;
    this.request(wallNow(), true);
  }

  private request(editAt: number, sync = false): void {
    // The host will run the editor's values as they are now (or later): they cover every page result shown so far.
    this.syncedSeq = this.localSeq;
    if (this.inFlight) {
      this.trailing = { editAt, sync };
      return;
    }
    // One page-posted run at a time: the next live runStarted is this one.
    this.postedSync = sync;
    this.inFlight = this.hooks.send(editAt);
  }

  /** The host started a run (live or not). */
  started(runId: number, live: boolean): void {
    if (live) {
      this.liveIds.add(runId);
      if (this.postedSync) this.syncIds.add(runId);
    }
    this.newest = Math.max(this.newest, runId);
  }

  /** Whether a host live run synced the page's values (its result changes no number shown). */
  wasSync(runId: number): boolean {
    return this.syncIds.has(runId);
  }

  isLive(runId: number): boolean {
    return this.liveIds.has(runId);
  }

  /** True for a host result whose values are not the newest: an older host run, or a page edit came after it was asked. */
  isStale(runId: number): boolean {
    return runId < this.newest || this.syncedSeq !== this.localSeq || this.frame !== 0;
  }

  /** A host run ended (result, error or cancel); after a live one, the trailing edit runs. */
  ended(runId: number): void {
    this.syncIds.delete(runId);
    if (!this.liveIds.delete(runId)) return;
    this.inFlight = false;
    const next = this.trailing;
    this.trailing = null;
    if (next !== null) this.request(next.editAt, next.sync);
  }

  /** Host pass: marks `live-shown` in the task after the frame that painted the rendered result. */
  shown(runId: number, timing: LiveTiming | undefined, receivedAt: number): void {
    requestAnimationFrame(() =>
      setTimeout(() => {
        const detail: LiveShown = { ...timing, runId, receivedAt, shownAt: wallNow() };
        performance.mark('live-shown', { detail });
      }, 0),
    );
  }
}

// Live recompute in the page: an edited input cell runs the pass at once when no live run is in flight; edits made
// while one is in flight become one trailing run with the latest values. Results of runs older than the newest
// started one are dropped. Marks `live-edit` and `live-shown` (performance.mark) time each edit for bench/live.ts.

import type { LiveTiming } from '../../extension/protocol';

/** Wall-clock ms with sub-ms resolution, comparable with the extension host's and its worker's. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** What the benchmark reads from a `live-shown` mark's detail. */
export interface LiveShown extends Partial<LiveTiming> {
  runId: number;
  /** When the page got the result, and the animation frame after it was rendered (wall-clock ms). */
  receivedAt: number;
  shownAt: number;
}

export class LiveRunner {
  private inFlight = false;
  /** The edit time of a trailing run waiting for the one in flight. */
  private trailing: number | null = null;
  private readonly liveIds = new Set<number>();
  private newest = 0;

  /** `send` posts a live run of the editor's current values; false when there is nothing valid to run. */
  constructor(private readonly send: (editAt: number) => boolean) {}

  /** An input cell changed (a keystroke). */
  edit(editAt = wallNow()): void {
    performance.mark('live-edit', { detail: { editAt } });
    this.request(editAt);
  }

  private request(editAt: number): void {
    if (this.inFlight) {
      this.trailing = editAt;
      return;
    }
    this.inFlight = this.send(editAt);
  }

  /** The host started a run (live or not). */
  started(runId: number, live: boolean): void {
    if (live) this.liveIds.add(runId);
    this.newest = Math.max(this.newest, runId);
  }

  isLive(runId: number): boolean {
    return this.liveIds.has(runId);
  }

  /** True for a result of a run older than the newest one started: its values are stale. */
  isStale(runId: number): boolean {
    return runId < this.newest;
  }

  /** A run ended (result, error or cancel); after a live one, the trailing edit runs. */
  ended(runId: number): void {
    if (!this.liveIds.delete(runId)) return;
    this.inFlight = false;
    const next = this.trailing;
    this.trailing = null;
    if (next !== null) this.request(next);
  }

  /** Marks `live-shown` once the frame after the rendered result comes. */
  shown(runId: number, timing: LiveTiming | undefined, receivedAt: number): void {
    requestAnimationFrame(() => {
      const detail: LiveShown = { ...timing, runId, receivedAt, shownAt: wallNow() };
      performance.mark('live-shown', { detail });
    });
  }
}

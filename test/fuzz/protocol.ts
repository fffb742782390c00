// Messages between the fuzz runner and its workers, and what a case can end as.
import type { Kind } from './cases';

/** Failures first: a case's outcome is the worst thing that happened in any of its phases. */
export const OUTCOMES = ['unsafe', 'over memory', 'hang', 'crash', 'wrong', 'unclear message', 'clear', 'correct'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const PASSING: readonly Outcome[] = ['clear', 'correct'];

export interface Finding {
  outcome: Outcome;
  /** load, summary, input, forward, numpy export, cli ... */
  phase: string;
  message: string;
  /** Why the outcome is what it is (the message's problem, the error's class). */
  detail?: string;
  /** file:function:line where it was thrown. */
  where?: string;
}

/** A probe replaces the core with a known failure, so the harness's own tests can see it classify each one. */
export type Probe = 'hang' | 'memory' | 'crash' | 'unclear' | 'stack';

export type WorkerRequest = { type: 'prepare'; seed: number; index: number } | { type: 'go'; cliPath: string; probe?: Probe } | { type: 'exit' };

export type WorkerReply =
  | { type: 'hello' }
  | { type: 'ready'; label: string; kind: Kind; hostile: boolean; cli: boolean }
  | { type: 'core'; ms: number; cpuMs: number; finding: Finding }
  | { type: 'done'; finding?: Finding }
  | { type: 'stray'; message: string; where: string }
  | { type: 'harness-error'; message: string };

export interface CaseResult extends Finding {
  seed: number;
  index: number;
  kind: Kind;
  label: string;
  /** Wall time of the core phase (load, summary, forward), ms. */
  ms: number;
  /** CPU time of the core phase, ms (far below ms when the machine was busy). */
  cpuMs: number;
  /** Peak resident memory above the worker's settled baseline during the core phase, MB. */
  memMB: number;
  cli: boolean;
  hostile: boolean;
  /** Set when the case went past the time limit in the long-lived worker and was measured again in a fresh one. */
  firstMs?: number;
}

// The Output › Keras RNN Inspector log (contract 5): one line per model opened and per forward pass, with the file,
// timings, and where a run stopped. Written over the LogOutputChannel activate() creates; before that (unit tests
// running host code in-process) the calls do nothing.

import type * as vscode from 'vscode';
import { showName } from './keras/safeText';

let channel: vscode.LogOutputChannel | undefined;

/** activate() hands over its channel. */
export function setLogChannel(c: vscode.LogOutputChannel | undefined): void {
  channel = c;
}

/** A model was read: its layers and parameters, or the one sentence saying why it could not be. */
export type OpenOutcome = { layers: number; params: number; format?: string } | { error: string; expected?: boolean };
/** A forward pass ended: finished, cancelled, or failed with one sentence. */
export type RunOutcome = 'ok' | 'cancelled' | { error: string };

// File names and inputs come from the user's disk: controls and bidi overrides are shown, never written raw.
const safe = (s: string) => showName(s);
const fmtMs = (ms: number) => `${Number.isFinite(ms) ? ms.toFixed(0) : '?'} ms`;

export function logOpen(file: string, ms: number, outcome: OpenOutcome): void {
  if (!channel) return;
  if ('error' in outcome) {
    const line = `open ${safe(file)} failed after ${fmtMs(ms)}: ${outcome.error}`;
    if (outcome.expected === false) channel.error(line);
    else channel.warn(line);
    return;
  }
  const format = outcome.format ? `${outcome.format}, ` : '';
  channel.info(`open ${safe(file)}: ${format}${outcome.layers} layers, ${outcome.params.toLocaleString('en-US')} params in ${fmtMs(ms)}`);
}

export function logRun(file: string, input: string, ms: number, outcome: RunOutcome, failedStep?: string): void {
  if (!channel) return;
  const head = `run ${safe(file)} on ${safe(input)}`;
  const at = failedStep ? ` at layer ${safe(failedStep)}` : '';
  if (outcome === 'ok') channel.info(`${head}: finished${failedStep ? `, stopped${at}` : ''} in ${fmtMs(ms)}`);
  else if (outcome === 'cancelled') channel.info(`${head}: cancelled after ${fmtMs(ms)}`);
  else channel.warn(`${head}: failed${at} after ${fmtMs(ms)}: ${outcome.error}`);
}

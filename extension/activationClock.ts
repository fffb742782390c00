// Imported first by extension.ts: bundled modules run in import order, so this records when dist/extension.js
// started loading; extension.ts records when its own top level runs (every import evaluated), and activate() logs
// the extension's own cost: loading the bundle plus activate(), in wall-clock and CPU time. The time VS Code spends
// between loading the module and calling activate() (making the extension context) is not ours and is left out.
export const bundleLoadStartedAt = performance.now();
export const bundleLoadStartedCpu = process.cpuUsage();

/** CPU milliseconds (user + system) since `from`. */
export function cpuMsSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
}

// What the free name `process` is in the web extension build (esbuild inject): the host code asks Node's process for
// CPU time (activation timing, activationClock.ts) and the platform (file name case, sameFileNode.ts). A browser has
// neither: wall time stands in for CPU time, and the platform is 'browser'.

interface CpuUsage {
  user: number;
  system: number;
}

/** Microseconds of wall time since the page started, as `user`; the difference from `previous` when given. */
function cpuUsage(previous?: CpuUsage): CpuUsage {
  const now = Math.round(performance.now() * 1000);
  return previous ? { user: now - previous.user, system: 0 } : { user: now, system: 0 };
}

export const process = { cpuUsage, platform: 'browser', env: {} as Record<string, string | undefined> };

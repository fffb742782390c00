// Types of web-builds.mjs for the TypeScript tests that build the web bundles the same way.
import type { BuildOptions } from 'esbuild';

export function webBuilds(common: BuildOptions): (BuildOptions & { outfile: string; entryPoints: string[] })[];

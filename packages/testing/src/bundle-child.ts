import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A child-process fixture bundled by {@link bundleChild}: `node <file>` starts it. */
export interface BundledChild {
  /** The bundle's path. */
  readonly file: string;
  /** Deletes the bundle (also done when this process exits). */
  remove(): void;
}

/** The `node_modules` nearest above `from`, where the bundle's left-out dependencies resolve. */
function nearestNodeModules(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) return join(dir, 'node_modules');
    if (dirname(dir) === dir) throw new Error(`No node_modules above ${from}`);
  }
}

/**
 * Bundles a child-process fixture (a TypeScript entry file) once with esbuild, resolving
 * `@tandem/*` by the `tandem-source` condition as tsx does. A test that spawns a child per cycle
 * (kill tests: 20 kills, 21 children) then starts each in a fraction of a second instead of the
 * 2-3 s tsx's loader takes on busy cores. The bundle is written under the nearest
 * `node_modules/.cache`, so the native dependencies left out of it (better-sqlite3, pg-native)
 * resolve as they do for the sources. Needs the optional peer dependency `esbuild`.
 */
export async function bundleChild(entry: string, name: string): Promise<BundledChild> {
  // esbuild is an optional peer: only the tests that bundle children need it installed.
  const { build } = await import('esbuild');
  const cache = join(nearestNodeModules(dirname(entry)), '.cache');
  mkdirSync(cache, { recursive: true });
  const file = join(cache, `tandem-${name}-${process.pid}.mjs`);
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['tandem-source'],
    // pg-native: pg's optional native binding, required only when asked for (never in tests).
    external: ['better-sqlite3', 'pg-native'],
    // Bundled CommonJS dependencies (amqplib, pg) call require(): give the ES module one.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    outfile: file,
    logLevel: 'warning',
  });
  const remove = () => rmSync(file, { force: true });
  process.once('exit', remove);
  return { file, remove };
}

import { fileURLToPath } from 'node:url';

/** `bench/results/`, where every benchmark writes `<name>.json`. */
export const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));

/** The repository root, where BENCHMARKS.md goes. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** `bench/charts/`, the SVG charts. */
export const chartsDir = fileURLToPath(new URL('../charts/', import.meta.url));

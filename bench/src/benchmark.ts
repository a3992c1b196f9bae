import type { BenchOutput } from './bench-result.js';

/** What every benchmark gets from the runner. */
export interface BenchContext {
  readonly full: boolean;
  /** Repetitions of each measurement; at least 3. */
  readonly runs: number;
  /** The PostgreSQL server, or undefined when none answers. */
  readonly postgresUrl: string | undefined;
  readonly log: (line: string) => void;
}

/** One benchmark: a name (its results file) and how to run it. */
export interface Benchmark {
  readonly name: string;
  /** Runs in quick mode (`npm run bench`), not only with `--full`. */
  readonly quick: boolean;
  readonly needsPostgres: boolean;
  /**
   * Why the benchmark cannot run here (a service it needs does not answer), or undefined when it
   * can. The runner then skips it with that reason instead of running it.
   */
  unavailable?(): Promise<string | undefined>;
  run(context: BenchContext): Promise<BenchOutput>;
}

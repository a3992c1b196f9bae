import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { PlannedRequest } from '../flash-sale/open-loop-driver.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('./order-summary-wrk.lua', import.meta.url));

/** One wrk round, as its Lua `done` reports it. */
export interface WrkRound {
  readonly requestsPerSecond: number;
  /** Non-2xx answers, and socket connect, read, write and timeout errors, together. */
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Paced rounds: sends more than 1 ms behind their due time (no connection was free). */
  readonly lateSends: number;
  readonly maxLateMs: number;
}

/** Why wrk cannot be run (not installed), or undefined when `wrk -v` runs. */
export function wrkUnavailable(): string | undefined {
  const probe = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  return probe.error === undefined
    ? undefined
    : `wrk not found (${probe.error.message}); apt-get install wrk`;
}

/** Writes the GETs wrk cycles through, one "<path> <token>" a line, and returns the file. */
export function writeWrkList(dir: string, name: string, reads: readonly PlannedRequest[]): string {
  const file = join(dir, `${name}.txt`);
  const lines = reads.map((r) => `${r.path} ${(r.headers?.authorization ?? '').replace(/^Bearer /, '')}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/**
 * wrk against `origin` for `seconds`: one thread, `connections` connections. Paced (`rate` > 0),
 * request k is due at k / rate and a free connection waits for it; unpaced (0), each connection
 * sends its next request when its last answer came. Either way wrk is closed loop: a request that
 * finds every connection busy goes out late, and that wait is not in its latency (it is counted in
 * `lateSends` instead).
 */
export async function runWrk(
  origin: string,
  list: string,
  seconds: number,
  connections: number,
  rate: number,
): Promise<WrkRound> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', script, origin];
  args.push('--', list, String(rate));
  const { stdout } = await run('wrk', args, { timeout: (seconds + 30) * 1_000 });
  const line = stdout.split('\n').find((l) => l.startsWith('WRK '));
  if (line === undefined) throw new Error(`wrk printed no result:\n${stdout}`);
  const r = JSON.parse(line.slice('WRK '.length)) as Record<string, number>;
  const n = (key: string) => r[key] ?? Number.NaN;
  return {
    requestsPerSecond: n('requests') / (n('durationUs') / 1e6),
    errors: n('non2xx') + n('connect') + n('read') + n('write') + n('timeout'),
    p50Ms: n('p50Us') / 1_000,
    p99Ms: n('p99Us') / 1_000,
    maxMs: n('maxUs') / 1_000,
    lateSends: n('lateSends'),
    maxLateMs: n('maxLateMs'),
  };
}

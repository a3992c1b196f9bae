import { spawn } from 'node:child_process';

/** How a child process ended, with everything it wrote. */
export interface ChildOutcome {
  readonly signal: NodeJS.Signals | null;
  readonly code: number | null;
  readonly output: string;
}

/** A relay child process; see {@link startRelayChild}. */
export interface RelayChild {
  /** Resolves when it exits, however it exits. */
  readonly ended: Promise<ChildOutcome>;
  /** Asks it to publish up to `position`, then exit (the line its stdin protocol expects). */
  finish(position: number): void;
}

/**
 * Starts `node <args>` as a relay child for a kill test, with `env` over this process's
 * environment: its stdout and stderr are collected for the failure message, and `finish` writes
 * the position to catch up to on its stdin. A child still running after `timeoutMs` (default 45 s)
 * is killed, so a hung child fails its test (its output lacks what the test expects), not the run.
 */
export function startRelayChild(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs = 45_000,
): RelayChild {
  const child = spawn(process.execPath, [...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const ended = new Promise<ChildOutcome>((resolve) =>
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    }),
  );
  return {
    ended,
    finish(position: number) {
      child.stdin.end(`${position}\n`);
    },
  };
}

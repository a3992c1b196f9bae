import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A server running in its own process, so load generation and serving use separate cores. */
export interface SpawnedServer {
  readonly url: string;
  /** Whatever else the server printed with its READY line. */
  readonly info: Readonly<Record<string, unknown>>;
  stop(): Promise<void>;
}

const benchDir = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Starts `script` (a .ts file run through tsx) with `env`, and waits for the line
 * `READY {"url": ...}` on its stdout. Its stderr is passed through.
 */
export function spawnServer(
  script: URL,
  env: Readonly<Record<string, string>>,
  timeoutMs = 180_000,
): Promise<SpawnedServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(script)], {
    cwd: benchDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${script.pathname} did not get ready in ${timeoutMs} ms`));
    }, timeoutMs);
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (!line.startsWith('READY ')) return void process.stdout.write(`    [server] ${line}\n`);
      clearTimeout(timer);
      const info = JSON.parse(line.slice('READY '.length)) as { url: string };
      resolve({ url: info.url, info, stop });
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${script.pathname} exited (code ${child.exitCode}) before it was ready`));
    });
  });
}

/** What a server script prints once it listens. */
export function announceReady(info: { url: string } & Record<string, unknown>): void {
  process.stdout.write(`READY ${JSON.stringify(info)}\n`);
}

/** Closes `close` on SIGTERM/SIGINT, then exits. */
export function exitOnSignal(close: () => Promise<void>): void {
  const onSignal = () => {
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

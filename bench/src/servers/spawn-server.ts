import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { AddressInfo } from 'node:net';
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

/** A child process running a .ts file through tsx, from the bench folder. */
export interface TsxChild {
  readonly child: ChildProcess;
  /** Resolves once the child has exited, however it ended. */
  readonly exited: Promise<void>;
  /** SIGTERM, then SIGKILL if the child is still there after 10 s; resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts `script` (a .ts file) through tsx in its own process, with `args`, `env` added to this
 * process's environment, and `stdio` as Node's `spawn` takes it (add 'ipc' for `send`/`message`).
 * The one start-up both the servers here and the peer workers (`peers/spawn-peer.ts`) use.
 */
export function spawnTsx(
  script: URL,
  options: {
    readonly args?: readonly string[];
    readonly env?: Readonly<Record<string, string>>;
    readonly stdio: StdioOptions;
    readonly cwd?: string;
  },
): TsxChild {
  // The bench measures the workspace's sources, as `npm run bench` does: `tandem-source` resolves
  // @tandem/* to src/ (see tsconfig.json), so no build is needed first.
  const nodeArgs = ['--conditions=tandem-source', '--import', 'tsx', fileURLToPath(script)];
  const child = spawn(process.execPath, [...nodeArgs, ...(options.args ?? [])], {
    cwd: options.cwd ?? benchDir,
    env: { ...process.env, ...options.env },
    stdio: options.stdio,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return { child, exited, stop };
}

/**
 * Starts `script` (a .ts file run through tsx) with `env`, and waits for the line
 * `READY {"url": ...}` on its stdout. Its stderr is passed through.
 */
export function spawnServer(
  script: URL,
  env: Readonly<Record<string, string>>,
  timeoutMs = 180_000,
): Promise<SpawnedServer> {
  const { child, exited, stop } = spawnTsx(script, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const stdout = child.stdout;
  if (stdout === null) throw new Error('No stdout pipe');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${script.pathname} did not get ready in ${timeoutMs} ms`));
    }, timeoutMs);
    const lines = createInterface({ input: stdout });
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

/** The parts of a Fastify instance {@link listenLocal} uses (Tandem's server is one too). */
interface Listener {
  listen(options: { port: number; host: string }): Promise<unknown>;
  readonly server: { address(): AddressInfo | string | null };
}

/**
 * Listens on a free port of 127.0.0.1 (the benchmark drives every server from this machine, and
 * port 0 lets several run side by side) and resolves with the server's base URL.
 */
export async function listenLocal(app: Listener): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('No TCP address');
  return `http://127.0.0.1:${address.port}`;
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

/**
 * Rate limits so high that no benchmark meets them: the load generators are a handful of callers
 * on one address, sending thousands of requests a second. The limiter still runs on every request,
 * so its cost is in the numbers, as it is in a server with the default limits.
 */
export const unreachableRateLimits = {
  perUser: 1e12,
  perAddress: 1e12,
  refused: 1e12,
  anonymousCommands: 1e12,
} as const;

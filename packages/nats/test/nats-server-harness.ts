import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { freePort } from '@tandem/testing';

/** The nats-server binary the machines have; `NATS_SERVER_BIN` points elsewhere. */
const binary = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

/** A nats-server this test file owns: stop or restart it without disturbing other tests. */
export interface OwnNatsServer {
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** The JetStream store directory: kept across {@link OwnNatsServer.restart}, deleted by `stop`. */
  readonly storeDir: string;
  /** SIGKILLs the server if `kill` is true (a crash), else SIGTERM (a clean shutdown); waits for the exit. */
  halt(kill?: boolean): Promise<void>;
  /** Starts it again on the same port and store dir (after `halt`), waiting until it answers. */
  start(): Promise<void>;
  /** Kills it (SIGKILL: JetStream must survive a crash) and starts it again, same port, same store. */
  restart(): Promise<void>;
  /** Stops it and deletes its store directory. */
  stop(): Promise<void>;
}

/**
 * Resolves once a NATS client connects to `url` and JetStream answers an account info request;
 * rejects with the last error after `timeoutMs`. Polls a real connect, never sleeps a guessed time.
 */
export async function waitForNats(url: string, timeoutMs = 10_000, jetStream = true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const nc = await connect({ servers: url, timeout: 500, reconnect: false });
      try {
        if (jetStream) await (await jetstreamManager(nc, { timeout: 1_000 })).getAccountInfo();
        return;
      } finally {
        await nc.close();
      }
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) throw new Error(`nats-server at ${url} did not answer: ${String(last)}`);
    // The pause between connect attempts while the process boots: a poll interval, not a wait.
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Options for {@link startNatsServer}. */
export interface StartNatsServerOptions {
  /** False starts it without `-js`, for the "no JetStream" failure; default true. */
  readonly jetStream?: boolean;
}

/**
 * Launches a fresh `nats-server -js` on a free port with its own store directory, for a test that
 * restarts or kills NATS (never the shared server others use). Waits until it accepts connections
 * and JetStream answers. Call `stop()` when done (an `after` hook).
 */
export async function startNatsServer(options: StartNatsServerOptions = {}): Promise<OwnNatsServer> {
  const jetStream = options.jetStream ?? true;
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'tandem-nats-'));
  const url = `nats://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let output = '';

  const start = async () => {
    if (child !== undefined) throw new Error('nats-server is already running');
    output = '';
    const flags = ['-a', '127.0.0.1', '-p', String(port), '-sd', storeDir];
    const launched = spawn(binary, jetStream ? ['-js', ...flags] : flags, {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = launched;
    // A test process that ends without stop() (an uncaught error, a timeout) must not leave the
    // server running: 'exit' runs for those too (not for a SIGKILL of the test process).
    const reap = () => {
      launched.kill('SIGKILL');
      rmSync(storeDir, { recursive: true, force: true });
    };
    process.once('exit', reap);
    launched.once('exit', () => process.off('exit', reap));
    // Kept to explain a server that did not come up (port taken, bad flag).
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4_000);
    };
    launched.stdout?.on('data', keep);
    launched.stderr?.on('data', keep);
    const exited = new Promise<never>((_, reject) =>
      launched.once('exit', (code, signal) =>
        reject(new Error(`nats-server exited (${String(code ?? signal)}) before answering:\n${output}`)),
      ),
    );
    // The exit promise only matters while racing the readiness poll; later exits are expected.
    exited.catch(() => undefined);
    await Promise.race([waitForNats(url, 10_000, jetStream), exited]);
  };

  const halt = async (kill = false) => {
    const running = child;
    if (running === undefined) return;
    child = undefined;
    if (running.exitCode !== null || running.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill(kill ? 'SIGKILL' : 'SIGTERM');
    await gone;
  };

  await start();
  return {
    url,
    port,
    storeDir,
    halt,
    start,
    async restart() {
      await halt(true);
      await start();
    },
    async stop() {
      await halt(true);
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

/** Where a test finds the shared NATS server, and the names it may use there alone. */
export interface SharedNats {
  /** `NATS_URL`, else `nats://127.0.0.1:4222`. */
  readonly url: string;
  /** A JetStream stream name no other test uses (A-Z, 0-9, `_`). */
  readonly stream: string;
  /** A subject prefix no other test uses (one token). */
  readonly subjectPrefix: string;
}

let reachability: Promise<unknown> | undefined;
let counter = 0;

/** The shared server's URL: `NATS_URL`, else 127.0.0.1:4222. */
export function sharedNatsUrl(): string {
  return process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
}

/**
 * The shared NATS server (`NATS_URL`, else 127.0.0.1:4222) with a stream name and subject prefix
 * unique to this call, or undefined (after saying why, loudly) when the server does not answer on
 * a developer machine. With `CI=true` an unreachable server throws: CI never skips silently.
 * Use as `describe(..., { skip: nats === undefined ? 'no NATS server' : false })`.
 */
export async function sharedNats(label = 't'): Promise<SharedNats | undefined> {
  const url = sharedNatsUrl();
  reachability ??= waitForNats(url, 3_000).then(
    () => undefined,
    (error: unknown) => error,
  );
  const error = await reachability;
  if (error !== undefined) {
    if (process.env.CI === 'true')
      throw new Error(`CI=true and no NATS JetStream at ${url}: ${String(error)}`);
    console.error(
      `\n*** SKIPPING NATS tests: no NATS JetStream server at ${url} (${String(error)}). Start \`nats-server -js\` or set NATS_URL. ***\n`,
    );
    return undefined;
  }
  counter += 1;
  const id = `${process.pid}_${Date.now().toString(36)}_${counter}_${label.replace(/[^A-Za-z0-9_]/g, '_')}`;
  return { url, stream: `T_${id}`.toUpperCase(), subjectPrefix: `t_${id}` };
}

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PeerJob, PeerResults } from './peer-side.js';

export type SideName = 'tandem' | 'emmett';

/** One side of the comparison in its own process: jobs go in one at a time, results come back. */
export interface PeerProcess {
  readonly side: SideName;
  run<J extends PeerJob>(job: J): Promise<PeerResults[J['kind']]>;
  stop(): Promise<void>;
}

type Reply =
  { readonly ready: true } | { readonly id: number; readonly result?: unknown; readonly error?: string };

const benchDir = fileURLToPath(new URL('../../', import.meta.url));
const worker = fileURLToPath(new URL('./peer-worker.ts', import.meta.url));

/** Starts `peer-worker.ts` for `side` (through tsx) and waits until it is ready. */
export function spawnPeer(side: SideName): Promise<PeerProcess> {
  const child = fork(worker, [side], {
    cwd: benchDir,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => {
    for (const { reject } of pending.values()) reject(new Error(`The ${side} worker exited`));
    pending.clear();
  });
  const peer: PeerProcess = {
    side,
    run<J extends PeerJob>(job: J) {
      const id = (nextId += 1);
      return new Promise<PeerResults[J['kind']]>((resolve, reject) => {
        pending.set(id, { resolve: (value) => resolve(value as PeerResults[J['kind']]), reject });
        child.send({ id, job });
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  return new Promise((resolve, reject) => {
    void exited.then(() => reject(new Error(`The ${side} worker exited before it was ready`)));
    child.on('message', (reply: Reply) => {
      if ('ready' in reply) return resolve(peer);
      const waiter = pending.get(reply.id);
      pending.delete(reply.id);
      if (reply.error !== undefined) waiter?.reject(new Error(`${side} worker: ${reply.error}`));
      else waiter?.resolve(reply.result);
    });
  });
}

import { spawnTsx } from '../servers/spawn-server.js';
import type { PeerJob, PeerResults } from './peer-side.js';

/** The sides a worker can run: Tandem, Emmett on PostgreSQL, Emmett on SQLite (its own package). */
export type SideName = 'tandem' | 'emmett' | 'emmett-sqlite';

/** One side of the comparison in its own process: jobs go in one at a time, results come back. */
export interface PeerProcess {
  readonly side: SideName;
  run<J extends PeerJob>(job: J): Promise<PeerResults[J['kind']]>;
  stop(): Promise<void>;
}

type Reply =
  { readonly ready: true } | { readonly id: number; readonly result?: unknown; readonly error?: string };

const worker = new URL('./peer-worker.ts', import.meta.url);

/** Starts `peer-worker.ts` for `side` (through tsx) and waits until it is ready. */
export function spawnPeer(side: SideName): Promise<PeerProcess> {
  const { child, exited, stop } = spawnTsx(worker, {
    args: [side],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 0;
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
    stop,
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

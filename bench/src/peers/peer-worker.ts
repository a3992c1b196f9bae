import type { PeerJob, PeerSide } from './peer-side.js';

// A worker process for one side of the peer comparison (`tandem`, `emmett` or `emmett-sqlite`),
// driven over IPC by spawn-peer.ts. Each side runs alone in its process: Emmett's driver layer
// (dumbo) sets process-wide pg type parsers (BIGINT as BigInt, JSON revivers) that would change
// Tandem's pg, and Emmett SQLite brings its own, older Emmett.

const sideName = process.argv[2];
const side: PeerSide =
  sideName === 'emmett'
    ? (await import('./emmett-side.js')).emmettSide
    : sideName === 'emmett-sqlite'
      ? (await import('./emmett-sqlite-side.js')).emmettSqliteSide
      : sideName === 'tandem'
        ? (await import('./tandem-side.js')).tandemSide
        : (() => {
            throw new Error(`Unknown side ${String(sideName)}`);
          })();

function run(job: PeerJob): Promise<unknown> {
  switch (job.kind) {
    case 'append':
      return side.append(job);
    case 'decide':
      return side.decide(job);
    case 'fill':
      return side.fill(job);
    case 'catchUp':
      return side.catchUp(job);
  }
}

process.on('message', (message: { readonly id: number; readonly job: PeerJob }) => {
  run(message.job).then(
    (result) => process.send?.({ id: message.id, result }),
    (error: unknown) =>
      process.send?.({
        id: message.id,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }),
  );
});
process.send?.({ ready: true });

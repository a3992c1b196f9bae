import { spawnPeer, type PeerProcess } from './spawn-peer.js';

/** Tandem, Emmett PostgreSQL and Emmett SQLite, each in its own worker process, for `work`. */
export async function withPeers<T>(
  work: (tandem: PeerProcess, emmett: PeerProcess, emmettSqlite: PeerProcess) => Promise<T>,
): Promise<T> {
  const peers = await Promise.all([spawnPeer('tandem'), spawnPeer('emmett'), spawnPeer('emmett-sqlite')]);
  const [tandem, emmett, emmettSqlite] = peers;
  try {
    return await work(tandem, emmett, emmettSqlite);
  } finally {
    await Promise.all(peers.map((peer) => peer.stop()));
  }
}

/** Run `r` measures both sides in this order: alternating, so drift favours neither. */
export function peerOrder(r: number, tandem: PeerProcess, emmett: PeerProcess): readonly PeerProcess[] {
  return r % 2 === 0 ? [tandem, emmett] : [emmett, tandem];
}

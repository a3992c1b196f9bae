import { spawnPeer, type PeerProcess } from './spawn-peer.js';

/** Both sides, each in its own worker process, for the length of `work`. */
export async function withPeers<T>(
  work: (tandem: PeerProcess, emmett: PeerProcess) => Promise<T>,
): Promise<T> {
  const [tandem, emmett] = await Promise.all([spawnPeer('tandem'), spawnPeer('emmett')]);
  try {
    return await work(tandem, emmett);
  } finally {
    await Promise.all([tandem.stop(), emmett.stop()]);
  }
}

/** Run `r` measures both sides in this order: alternating, so drift favours neither. */
export function peerOrder(r: number, tandem: PeerProcess, emmett: PeerProcess): readonly PeerProcess[] {
  return r % 2 === 0 ? [tandem, emmett] : [emmett, tandem];
}

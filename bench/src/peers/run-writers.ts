/** One operation of one writer: where it writes, and the version its stream has before it. */
export interface WriterSlot {
  readonly writer: number;
  /** A number unique across the writers, for event payloads. */
  readonly index: number;
  /** The writer's stream number: every writer fills its own streams, one after the other. */
  readonly stream: number;
  /** Events already in that stream (the expected version). */
  readonly version: number;
}

/**
 * Runs `total` operations from `writers` concurrent writers (closed loop). Writer `w` does the
 * operations `w`, `w + writers`, ... and fills its own streams of `perStream` events, so writers
 * never contend for a stream. Resolves with the elapsed seconds; the first failure rejects.
 */
export async function runWriters(
  writers: number,
  total: number,
  perStream: number,
  task: (slot: WriterSlot) => Promise<void>,
): Promise<number> {
  const started = performance.now();
  const writer = async (w: number) => {
    for (let k = 0; k * writers + w < total; k++) {
      await task({
        writer: w,
        index: k * writers + w,
        stream: Math.floor(k / perStream),
        version: k % perStream,
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(writers, total) }, (_, w) => writer(w)));
  return (performance.now() - started) / 1000;
}

/** The stream of a slot, under a label that keeps runs and warm-ups apart. */
export function slotStream(label: string, slot: WriterSlot): string {
  return `${label}-w${slot.writer}-s${slot.stream}`;
}

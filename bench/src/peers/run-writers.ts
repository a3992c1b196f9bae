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

/**
 * A warm-up round of `warmup` operations under the label 'warm', then the timed round of `total`
 * under 'run', both through {@link runWriters}; resolves with the timed round's seconds. Every
 * side warms up the same way so the JIT, pools and statement caches are hot on all of them
 * alike, and the labels keep the two rounds' streams apart.
 */
export async function warmThenRun(
  writers: number,
  counts: { readonly warmup: number; readonly total: number },
  perStream: number,
  task: (label: string, slot: WriterSlot) => Promise<void>,
): Promise<number> {
  await runWriters(writers, counts.warmup, perStream, (slot) => task('warm', slot));
  return runWriters(writers, counts.total, perStream, (slot) => task('run', slot));
}

/**
 * A queue that runs the functions given to it one at a time, in call order. Emmett SQLite 0.38.5
 * needs it: its event store shares one connection between concurrent calls and closes it when any
 * of them finishes, so overlapping appends fail (see emmettSqliteSerialized in emmett-versions.ts).
 */
export function oneAtATime(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>) => {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };
}

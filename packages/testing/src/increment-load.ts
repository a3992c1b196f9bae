import type { Tandem } from '@tandem/core';
import { admin } from './fixtures/counter-app.js';

/** A command load running until stopped; see {@link incrementLoad}. */
export interface IncrementLoad {
  /** How many commands committed so far. */
  committed(): number;
  /** Stops the writers and resolves once their last commands ended. */
  stop(): Promise<void>;
}

/**
 * `Increment` commands of the counter app (counters `c0`..`c{counters-1}`, opened beforehand)
 * appended without pause by `writers` concurrent callers until `stop()`: the load a relay or a
 * consumer is killed under.
 */
export function incrementLoad(
  app: Pick<Tandem, 'execute'>,
  options: { readonly counters: number; readonly writers?: number },
): IncrementLoad {
  let running = true;
  let committed = 0;
  const done = Promise.all(
    Array.from({ length: options.writers ?? 1 }, async (_, writer) => {
      for (let i = 0; running; i++) {
        const outcome = await app.execute({
          type: 'Increment',
          data: { counterId: `c${(writer + i) % options.counters}`, by: 1 },
          user: admin,
          commandId: `w${writer}-${i}-${Date.now()}`,
        });
        if (outcome.ok) committed += 1;
      }
    }),
  );
  return {
    committed: () => committed,
    async stop() {
      running = false;
      await done;
    },
  };
}

import type { Tandem } from '@tandem/core';

/** Commands settled in this process since counting began, as the live overview shows them. */
export interface CommandTotals {
  /** Every command settled here, whatever its outcome. */
  readonly settled: number;
  /** Those that ended with an error code: neither committed nor replayed. */
  readonly failed: number;
}

/** Running totals of settled commands, and how to stop counting. */
export interface CommandCounts {
  /** The totals now. */
  totals(): CommandTotals;
  /** Stops listening to the command bus. */
  close(): void;
}

/**
 * Counts settled commands from the command bus's observer hook, as the command metrics do (not
 * read back from prom-client: the registry is the metrics' business, and a scrape format is no
 * API). Two numbers kept by one listener: it costs a command nothing measurable.
 */
export function countCommands(tandem: Tandem): CommandCounts {
  let settled = 0;
  let failed = 0;
  const off = tandem.commands.onSettled(({ outcome }) => {
    settled += 1;
    if (outcome !== 'committed' && outcome !== 'replayed') failed += 1;
  });
  return { totals: () => ({ settled, failed }), close: off };
}

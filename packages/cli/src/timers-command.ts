import { InvalidArgumentError, type Command } from 'commander';
import type { StoredTimer, TimerState, TimerSummary } from '@tandem/core';
import type { AppConfig } from './app-config.js';
import { openStore } from './open-store.js';
import { terminalText } from './terminal-text.js';
import { textTable } from './text-table.js';

const states: readonly TimerState[] = ['pending', 'fired', 'refused', 'cancelled'];

function timerState(value: string): TimerState {
  if (!(states as readonly string[]).includes(value))
    throw new InvalidArgumentError(`Expected one of ${states.join(', ')}.`);
  return value as TimerState;
}

function listLimit(value: string): number {
  const limit = /^\d{1,4}$/.test(value) ? Number(value) : 0;
  if (limit < 1 || limit > 1_000) throw new InvalidArgumentError('Expected a whole number from 1 to 1000.');
  return limit;
}

/**
 * `tandem timers`' lines: the summary, then a header and one line per timer. Names, command types
 * and users come from applications and callers: every cell goes through {@link terminalText}, so
 * none can colour the terminal or forge a row. `-` marks a value that is absent.
 */
export function timerTable(summary: TimerSummary, timers: readonly StoredTimer[]): string[] {
  const cell = (value: string | number | undefined | null) =>
    value === undefined || value === null ? '-' : terminalText(String(value));
  const head =
    `pending ${summary.pending} (overdue ${summary.overdue}), fired ${summary.fired}, ` +
    `refused ${summary.refused}, cancelled ${summary.cancelled}; next due ${summary.nextDueAt ?? '-'}; ` +
    `database now ${summary.now}`;
  if (timers.length === 0) return [head, '(no timers)'];
  return [
    head,
    ...textTable(
      ['DUE', 'STATE', 'OUTCOME', 'TIMER', 'COMMAND', 'USER', 'SETTLED'],
      timers.map((t) => [
        cell(t.dueAt),
        cell(t.state),
        cell(t.outcome),
        cell(t.timerId),
        cell(t.command.type),
        cell(t.user.id),
        cell(t.settledAt),
      ]),
    ),
  ];
}

/**
 * Adds `tandem timers [--state <state>] [--timer-id <name>] [--limit <n>] [--json]`: the timers'
 * summary (by the database's clock) and the timers selected, pending ones earliest due first. It
 * reads the store only: no app is built, nothing is fired.
 */
export function addTimersCommand(
  program: Command,
  config: Pick<AppConfig, 'databaseUrl'>,
  write: (line: string) => void,
): void {
  program
    .command('timers')
    .description('list durable timers with their counts: pending first, earliest due first')
    .option('--state <state>', `only timers in this state (${states.join(', ')})`, timerState)
    .option('--timer-id <name>', 'only timers of this name')
    .option('--limit <n>', 'how many timers, at most (1 to 1000)', listLimit, 100)
    .option('--json', 'print { summary, timers } as JSON')
    .action(async (flags: { state?: TimerState; timerId?: string; limit: number; json?: boolean }) => {
      const store = await openStore(config.databaseUrl);
      try {
        const [summary, timers] = await Promise.all([
          store.timers.summary(),
          store.timers.list({
            limit: flags.limit,
            ...(flags.state === undefined ? {} : { state: flags.state }),
            ...(flags.timerId === undefined ? {} : { timerId: flags.timerId }),
          }),
        ]);
        if (flags.json === true) write(JSON.stringify({ summary, timers }));
        else for (const line of timerTable(summary, timers)) write(line);
      } finally {
        await store.close();
      }
    });
}

import type { StoredAuditEntry } from '@tandem/core';
import { terminalText } from './terminal-text.js';
import { textTable } from './text-table.js';

/**
 * `tandem audit`'s lines: a header, then one line per row, newest first as given (its ID is the
 * `--before` of the next page). Every value
 * goes through {@link terminalText}: command types, ids, user ids and codes come from callers, and
 * one of them holding an escape sequence, a newline or a bidi override must not be able to colour
 * the terminal, forge a row or fake a column. `-` marks a value that is absent.
 */
export function auditTable(rows: readonly StoredAuditEntry[]): string[] {
  // Null as well: a store's driver may hand back SQL NULL where the type says undefined.
  const cell = (value: string | number | undefined | null) =>
    value === undefined || value === null ? '-' : terminalText(String(value));
  return textTable(
    ['ID', 'AT', 'OUTCOME', 'CODE', 'COMMAND', 'COMMAND ID', 'USER', 'POSITION'],
    rows.map((r) => [
      cell(r.id),
      cell(r.at),
      cell(r.outcome),
      cell(r.errorCode),
      cell(r.commandType),
      cell(r.commandId),
      cell(r.userId),
      cell(r.position),
    ]),
  );
}

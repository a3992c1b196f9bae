import type { AuditQuery, StoredAuditEntry } from '../write/audit-entry.js';

/**
 * One page of an in-memory audit trail (kept in insertion order, ids increasing) for `query`:
 * walked from the newest row (or the one below `before`) down, so a page costs the rows it passes,
 * not the whole trail. Copies, so a caller cannot change the trail.
 */
export function auditPage(trail: readonly StoredAuditEntry[], query: AuditQuery): StoredAuditEntry[] {
  const limit = query.limit ?? 100;
  const outcomes = query.outcomes === undefined ? undefined : new Set<string>(query.outcomes);
  const page: StoredAuditEntry[] = [];
  for (let i = trail.length - 1; i >= 0 && page.length < limit; i -= 1) {
    const e = trail[i] as StoredAuditEntry;
    if (query.before !== undefined && e.id >= query.before) continue;
    if (query.commandId !== undefined && e.commandId !== query.commandId) continue;
    if (query.userId !== undefined && e.userId !== query.userId) continue;
    if (query.commandType !== undefined && e.commandType !== query.commandType) continue;
    if (outcomes !== undefined && !outcomes.has(e.outcome)) continue;
    if (query.from !== undefined && e.at < query.from) continue;
    if (query.to !== undefined && e.at >= query.to) continue;
    page.push({ ...e });
  }
  return page;
}

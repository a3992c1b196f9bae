import type { CollectionDefinition, FindQuery } from '@tandem/core';
import { decodeCursor, fieldValue, pageSize, planFind } from '@tandem/core/adapter';
import {
  afterId,
  encodeId,
  encodeValue,
  type IndexValue,
  memberHead,
  prefixEnd,
  typeTag,
} from './index-encoding.js';

/**
 * How one `find` (or `scan`) reads a sorted set: which set, between which bounds, in which
 * direction. Bounds are member prefixes compared as text; no bound ever equals a member, so whether
 * a bound is inclusive never matters.
 */
export interface FindPlan {
  /** The set's fields, comma-joined; empty for the set of ids (no filter, id order). */
  readonly fields: string;
  /** The sort field, when results follow a field (a sort, or a range filter without one). */
  readonly orderField: string | undefined;
  readonly lo: string;
  readonly hi: string;
  readonly direction: 'asc' | 'desc';
  /** Descending after a cursor: the rest of the cursor's value, read first (ids upwards). */
  readonly continuation: { readonly lo: string; readonly hi: string } | undefined;
  /** Page size. */
  readonly limit: number;
  /** The index fields whose values head the members (for documents not yet committed). */
  readonly fieldList: readonly string[];
  /** True when the filters contradict each other: nothing can match. */
  readonly empty: boolean;
}

const max = (a: string, b: string): string => (a > b ? a : b);
const min = (a: string, b: string): string => (a < b ? a : b);

/**
 * Plans `query` on `collection`'s sorted sets, after the port's `planFind` accepted it (a find no
 * declared index covers is refused there, as on every store). A query with k equality fields reads
 * the set of those k fields (id order after them) or, with a range or a sort, of k + 1 fields.
 */
export function planQuery(collection: CollectionDefinition<object>, query: FindQuery = {}): FindPlan {
  const { index } = planFind(collection, query);
  const where = query.where ?? [];
  const limit = pageSize(query.limit);
  let empty = false;
  const equal = new Map<string, IndexValue>();
  for (const filter of where) {
    if (filter.op !== 'eq') continue;
    const seen = equal.get(filter.field);
    if (equal.has(filter.field) && encodeValue(seen) !== encodeValue(filter.value)) empty = true;
    equal.set(filter.field, filter.value);
  }
  const ranges = where.filter((f) => f.op !== 'eq');
  const orderField = ranges[0]?.field ?? query.sort?.field;
  const k = equal.size;
  const fieldList = index === undefined ? [] : index.fields.slice(0, k + (orderField === undefined ? 0 : 1));
  const head = fieldList
    .slice(0, k)
    .map((f) => encodeValue(equal.get(f)))
    .join('');
  let lo = head;
  let hi = head + prefixEnd;
  const first = ranges[0];
  if (first !== undefined) {
    // A range keeps to values of its own type, as SQL compares them (nulls never match).
    const tag = typeTag(first.value);
    lo = head + tag;
    hi = head + tag + prefixEnd;
    for (const range of ranges) {
      if (typeTag(range.value) !== tag) empty = true;
      const value = head + encodeValue(range.value);
      if (range.op === 'gte') lo = max(lo, value);
      else if (range.op === 'gt') lo = max(lo, value + prefixEnd);
      else if (range.op === 'lt') hi = min(hi, value);
      else if (range.op === 'lte') hi = min(hi, value + prefixEnd);
    }
  }
  const direction = query.sort?.direction ?? 'asc';
  let continuation: FindPlan['continuation'];
  if (query.cursor !== undefined) {
    const after = decodeCursor(query.cursor);
    if (orderField === undefined) lo = max(lo, afterId(head, after.id));
    else {
      const value = head + encodeValue(after.value);
      if (direction === 'asc') lo = max(lo, afterId(value, after.id));
      else {
        continuation = { lo: afterId(value, after.id), hi: value + prefixEnd };
        hi = min(hi, value);
      }
    }
  }
  return {
    fields: index === undefined ? '' : fieldList.join(','),
    orderField,
    lo,
    hi,
    direction,
    continuation,
    limit,
    fieldList,
    empty,
  };
}

/** The member a document would have in the plan's set. */
export function planMember(plan: FindPlan, id: string, doc: object): string {
  return plan.fieldList.map((f) => encodeValue(fieldValue(doc, f))).join('') + encodeId(id);
}

/** Whether a member lies in what the plan reads (for documents not yet committed). */
export function planCovers(plan: FindPlan, member: string): boolean {
  if (plan.empty) return false;
  const inside = (lo: string, hi: string) => member >= lo && member <= hi;
  return (
    inside(plan.lo, plan.hi) ||
    (plan.continuation !== undefined && inside(plan.continuation.lo, plan.continuation.hi))
  );
}

/** Orders members as the plan reads them: by value (either way), ties by ascending id. */
export function compareMembers(plan: FindPlan, a: string, b: string): number {
  if (plan.direction === 'asc') return a < b ? -1 : a > b ? 1 : 0;
  const headA = memberHead(a);
  const headB = memberHead(b);
  if (headA !== headB) return headA > headB ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

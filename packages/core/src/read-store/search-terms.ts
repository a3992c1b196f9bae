import { TandemError } from '../errors/tandem-error.js';
import { searchTokens } from './document-fields.js';

/**
 * The bounds every read store puts on a full-text search (issue 11), so that the worst search a
 * client can send costs a few milliseconds, decided before any work starts: better-sqlite3 cannot
 * stop a statement once it runs, and it runs on the event loop. The numbers come from the
 * `sqlite-search` benchmark; docs/read-side.md ("Search limits") states them and what they mean
 * for results.
 */
export const searchLimits = {
  /** Longest search text, in characters (UTF-16 code units); longer is refused. */
  maxTextLength: 256,
  /** Most distinct words in a search; more are refused. */
  maxTerms: 8,
  /** Longest word, in characters; longer is refused. */
  maxTermLength: 64,
  /**
   * Shortest last word that matches as a prefix (`ket` finds `kettle`). Only the last word is a
   * prefix, the one being typed: a prefix term reads the postings of every word it starts, which
   * costs as much as the text behind those words, while a whole word reads its own list lazily.
   */
  minPrefixLength: 3,
  /**
   * Most matching documents a search looks at. Filters, the order (relevance or a sort field) and
   * pages apply to those; a search that matches more finds only some of them (which ones depends
   * on the store), so a client narrows it with more words.
   */
  maxMatches: 500,
} as const;

/** One word of a search: a whole word, or (the last word only) a prefix of words. */
export interface SearchTerm {
  /** Lower case, letters and digits only (see `searchTokens`). */
  readonly word: string;
  readonly prefix: boolean;
}

function refuse(message: string): never {
  throw new TandemError('validation', message, {
    details: { issues: [{ path: 'search', message }], limits: searchLimits },
  });
}

/** Length in characters (code points), so a word of emoji or CJK counts what a reader sees. */
function characters(word: string): number {
  return [...word].length;
}

/**
 * The terms of a search text, within {@link searchLimits}: distinct words, each a whole word except
 * the last, which is a prefix when it has at least `minPrefixLength` characters. Throws a
 * `validation` error (issue path `search`) for a text, a word or a number of words over the limits.
 * An empty list means the text has no words: the search finds nothing.
 */
export function searchTerms(text: string): SearchTerm[] {
  if (text.length > searchLimits.maxTextLength)
    refuse(`The search text is longer than ${searchLimits.maxTextLength} characters`);
  const tokens = searchTokens(text);
  const words = [...new Set(tokens)];
  if (words.some((word) => characters(word) > searchLimits.maxTermLength))
    refuse(`A search word is longer than ${searchLimits.maxTermLength} characters`);
  if (words.length > searchLimits.maxTerms)
    refuse(`A search has more than ${searchLimits.maxTerms} different words`);
  const last = tokens.at(-1);
  return words.map((word) => ({
    word,
    prefix: word === last && characters(word) >= searchLimits.minPrefixLength,
  }));
}

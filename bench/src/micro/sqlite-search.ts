import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TandemError, type FindQuery } from '@tandem/core';
import { readModelTable } from '@tandem/core/adapter';
import { openSqliteStore } from '@tandem/sqlite';
import { catalogProducts, heaviestTerms, searchCatalog } from '@tandem/testing';
import type { Metric } from '../bench-result.js';
import type { Benchmark } from '../benchmark.js';
import { metric } from '../metrics.js';
import { tempDir } from '../temp-dir.js';

const projection = 'search-pages';
const namespace = `${projection}@1`;
/** Calls of each search per run; a run reports their median. */
const calls = 5;
/** A search slower than this is called once per run: the unbounded ones take seconds. */
const slowMs = 500;

/** One search the benchmark times. */
interface SearchCase {
  readonly label: string;
  readonly text: string;
  readonly query?: FindQuery;
}

const byPrice: FindQuery = { sort: { field: 'effectivePrice', direction: 'asc' } };
const inBooks: FindQuery = { where: [{ field: 'category', op: 'eq', value: 'books' }] };
const letters = 'abcdefghijklmnopqrstuvwxyz'.split('');

/**
 * The search as Tandem ran it before issue 11 bounded it: every word a prefix term, every match
 * ranked, joined and sorted. Kept here so the benchmark shows what the caps prevent.
 */
function unboundedSearch(db: Database.Database, table: string, { text, query = {} }: SearchCase): number {
  const terms = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  if (terms.length === 0) return 0;
  const params: unknown[] = [terms.map((t) => `"${t}"*`).join(' AND ')];
  const where = [`${table}_fts MATCH ?`];
  for (const f of query.where ?? []) {
    where.push(`json_extract(t.doc, '$.${f.field}') = ?`);
    params.push(f.value);
  }
  const key = query.sort === undefined ? 'f.rank' : `json_extract(t.doc, '$.${query.sort.field}')`;
  return db
    .prepare(
      `SELECT t.id, t.doc, f.rank FROM ${table}_fts f JOIN ${table} t ON t.id = f.id
       WHERE ${where.join(' AND ')} ORDER BY ${key}, t.id LIMIT 51`,
    )
    .all(...params).length;
}

/** The median time of `calls` calls of `run` (one when it is slower than `slowMs`), in ms. */
async function medianMs(run: () => unknown): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < calls && !(samples[0] !== undefined && samples[0] > slowMs); i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? Number.NaN;
}

/**
 * Pathological full-text searches on a SQLite read model shaped like the shop's product pages
 * (issue 11): one search holds the event loop for as long as it runs, so its worst case bounds every
 * other request's latency. Times each search through the query path (`activeReader`) and the same
 * search as it ran before the caps (every word a prefix term, every match ranked).
 */
export const sqliteSearch: Benchmark = {
  name: 'sqlite-search',
  quick: true,
  needsPostgres: false,
  async run(context) {
    const products = context.full ? 200_000 : 50_000;
    const dir = tempDir('search');
    const store = await openSqliteStore({ filename: join(dir.path, 'search.db') });
    const raw = new Database(join(dir.path, 'search.db'), { readonly: true });
    try {
      const readStore = store.readStore();
      await readStore.prepare(namespace, [catalogProducts]);
      const catalog = searchCatalog(products);
      for (let i = 0; i < catalog.length; i += 1_000) {
        await readStore.transaction(async (tx) => {
          const collection = tx.collection(namespace, catalogProducts);
          for (const product of catalog.slice(i, i + 1_000))
            await collection.upsert(product.productId, product);
          if (i === 0) await tx.activate(projection, namespace);
        });
      }
      const table = readModelTable(namespace, catalogProducts.name);
      const { words, prefix } = heaviestTerms(catalog);
      const word = words[0] ?? '';
      context.log(
        `  ${products} products; most frequent words ${words.join(' ')}; heaviest prefix ${prefix}`,
      );
      const cases: SearchCase[] = [
        { label: 'one word (kettle)', text: 'kettle' },
        { label: `the most frequent word (${word})`, text: word },
        { label: 'the most frequent word, sorted by price', text: word, query: byPrice },
        { label: 'the most frequent word, filtered by category', text: word, query: inBooks },
        {
          label: 'the most frequent word, filtered and sorted',
          text: word,
          query: { ...inBooks, ...byPrice },
        },
        { label: `the heaviest three-letter prefix (${prefix})`, text: prefix },
        {
          label: 'the heaviest prefix, filtered and sorted',
          text: prefix,
          query: { ...inBooks, ...byPrice },
        },
        { label: 'the 8 most frequent words', text: words.join(' ') },
        {
          label: 'the 7 most frequent words and the heaviest prefix',
          text: [...words.slice(0, 7), prefix].join(' '),
        },
        { label: 'one letter (s)', text: 's' },
        { label: 'one letter (s), sorted by price', text: 's', query: byPrice },
        { label: '8 one-letter terms', text: letters.slice(0, 8).join(' ') },
        { label: 'every letter (26 terms)', text: letters.join(' ') },
        { label: 'one letter 100 times', text: Array.from({ length: 100 }, () => 'a').join(' ') },
        { label: '8 two-letter prefixes', text: 'co ba ro th ca pr st ma' },
        { label: 'a 64-letter term', text: 'k'.repeat(64) },
        { label: 'a 200-letter term', text: 'k'.repeat(200) },
      ];
      // The SQLite read store has both; the port declares them optional for other stores.
      const reader = readStore.activeReader?.(projection, catalogProducts);
      const getJsonText = reader?.getJsonText?.bind(reader);
      if (reader === undefined || getJsonText === undefined) throw new Error('no active JSON reader');
      const tandem = new Map<string, number[]>();
      const unbounded = new Map<string, number[]>();
      const outcomes = new Map<string, string>();
      const keyRead: number[] = [];
      for (let run = 0; run < context.runs; run++) {
        keyRead.push(await medianMs(() => getJsonText('p-000042')));
        for (const c of cases) {
          let outcome = '';
          const ms = await medianMs(async () => {
            try {
              outcome = `${(await reader.search(c.text, c.query)).items.length} results`;
            } catch (error) {
              if (!(error instanceof TandemError && error.code === 'validation')) throw error;
              outcome = 'refused (validation)';
            }
          });
          outcomes.set(c.label, outcome);
          tandem.set(c.label, [...(tandem.get(c.label) ?? []), ms]);
          const ref = await medianMs(() => unboundedSearch(raw, table, c));
          unbounded.set(c.label, [...(unbounded.get(c.label) ?? []), ref]);
        }
      }
      const metrics: Metric[] = [metric('key read (getJsonText)', 'ms', keyRead)];
      for (const c of cases) {
        metrics.push(metric(`${c.label}: Tandem`, 'ms', tandem.get(c.label) ?? []));
        metrics.push(metric(`${c.label}: unbounded`, 'ms', unbounded.get(c.label) ?? []));
      }
      return {
        title: 'Full-text search on SQLite: pathological searches',
        description:
          'Each search through the query path (`activeReader().search`, page of 50), median of 5 calls per run ' +
          `(one call when it takes over ${slowMs} ms), ` +
          'and the same search as it ran before issue 11 bounded it (every word a prefix term, every match ' +
          'ranked, joined and sorted). better-sqlite3 runs a statement synchronously: the time is how long ' +
          'the event loop is held.',
        parameters: { products, calls, mostFrequentWords: words.join(' '), heaviestPrefix: prefix },
        metrics,
        ratios: [],
        notes: cases.map((c) => `${c.label}: ${outcomes.get(c.label) ?? ''}`),
      };
    } finally {
      raw.close();
      await store.close();
      dir.remove();
    }
  },
};

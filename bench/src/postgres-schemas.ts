import { dropSchemas } from '@tandem/postgres/testing';

let counter = 0;

/** A schema name no other run uses: each measurement gets its own, dropped afterwards. */
export function benchSchema(label: string): string {
  counter += 1;
  return `bench_${label}_${process.pid}_${Date.now().toString(36)}_${counter}`;
}

/** Runs `work` with a fresh schema name, then drops the schema whatever happened. */
export async function withSchema<T>(url: string, label: string, work: (schema: string) => Promise<T>) {
  const schema = benchSchema(label);
  try {
    return await work(schema);
  } finally {
    await dropSchemas(url, [schema]);
  }
}

import { writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';

/** Writes `value` as JSON formatted the way `prettier --check` (part of `npm run lint`) expects. */
export async function writeFormattedJson(path: string, value: unknown): Promise<void> {
  const config = (await resolveConfig(path)) ?? {};
  writeFileSync(path, await format(JSON.stringify(value), { ...config, parser: 'json' }));
}

// A TypeDoc plugin: names each module of the API reference after its package (`@tandem/core`,
// `@tandem/core/adapter`) instead of its path (`core/src`), without a `@module` tag in every entry file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Converter, ReflectionKind } from 'typedoc';

/** TypeDoc's plugin entry point. */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      // `core/src` (or `core/src/index`) is the package; `core/src/adapter` its `./adapter` entry.
      const match = /^([\w-]+)\/src(?:\/([\w-]+))?$/.exec(module.name);
      if (!match) continue;
      const [, folder, entry] = match;
      const manifest = JSON.parse(
        readFileSync(join(process.cwd(), 'packages', folder, 'package.json'), 'utf8'),
      );
      module.name = entry === undefined || entry === 'index' ? manifest.name : `${manifest.name}/${entry}`;
    }
  });
}

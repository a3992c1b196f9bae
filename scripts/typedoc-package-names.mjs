// A TypeDoc plugin: names each module of the API reference after its package (`@tandem/core`)
// instead of its path (`core/src`), without a `@module` tag in every package's index.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Converter, ReflectionKind } from 'typedoc';

/** TypeDoc's plugin entry point. */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      const folder = /^([\w-]+)\/src$/.exec(module.name)?.[1];
      if (!folder) continue;
      const manifest = JSON.parse(
        readFileSync(join(process.cwd(), 'packages', folder, 'package.json'), 'utf8'),
      );
      module.name = manifest.name;
    }
  });
}

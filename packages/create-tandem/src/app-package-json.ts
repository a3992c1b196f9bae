/**
 * The ranges a new app gets for the packages it uses besides Tandem's. They follow the monorepo's
 * own ranges (a unit test keeps them in step), so the versions the repository is tested with are
 * the ones a new app starts from, and CI can install a new app from the npm cache alone.
 */
export const appDependencyRanges = {
  zod: '^4.1.0',
  typescript: '~5.9.3',
  '@types/node': '^20.19.0',
} as const;

/** The package.json of a new app. */
export interface AppPackageJson {
  readonly name: string;
  readonly version: string;
  readonly private: true;
  readonly type: 'module';
  readonly engines: { readonly node: string };
  readonly scripts: Readonly<Record<string, string>>;
  readonly dependencies: Readonly<Record<string, string>>;
  readonly devDependencies: Readonly<Record<string, string>>;
  readonly allowScripts: Readonly<Record<string, boolean>>;
}

/**
 * The package.json of a new app named `name`, depending on `@tandem/*` at `^tandemVersion` (the
 * version of create-tandem itself: the packages are released together).
 */
export function appPackageJson(name: string, tandemVersion: string): AppPackageJson {
  const tandem = `^${tandemVersion}`;
  return {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    engines: { node: '>=20' },
    // Plain tsc and node: what runs is what was type-checked, with no loader in between.
    scripts: {
      build: 'tsc',
      start: 'tsc && node dist/src/main.js',
      test: 'tsc && node --test dist/test/',
    },
    dependencies: {
      '@tandem/core': tandem,
      '@tandem/http': tandem,
      '@tandem/sqlite': tandem,
      zod: appDependencyRanges.zod,
    },
    devDependencies: {
      '@tandem/testing': tandem,
      '@types/node': appDependencyRanges['@types/node'],
      typescript: appDependencyRanges.typescript,
    },
    // better-sqlite3 builds or fetches its native binding in an install script; npm asks for
    // install scripts to be allowed by name.
    allowScripts: { 'better-sqlite3': true },
  };
}

/**
 * A valid npm package name from a directory name: lowercase, with runs of characters npm refuses
 * replaced by a dash (`My App!` becomes `my-app`); `tandem-app` when nothing usable is left.
 */
export function packageNameFor(directoryName: string): string {
  const name = directoryName
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, '-')
    .replace(/^[._-]+|[._-]+$/g, '')
    .slice(0, 214);
  return name === '' ? 'tandem-app' : name;
}

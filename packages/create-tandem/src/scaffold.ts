import { mkdir, readdir, readFile, writeFile, copyFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appPackageJson, packageNameFor } from './app-package-json.js';

/** The template ships beside src/ and dist/ alike, so one relative path serves both. */
const templateDirectory = fileURLToPath(new URL('../template/', import.meta.url));
const ownPackageJson = new URL('../package.json', import.meta.url);

/**
 * Files npm will not pack under their real names (it drops `.gitignore` from tarballs), shipped
 * under a stand-in name and renamed on the way out.
 */
const renamedOnCopy: Readonly<Record<string, string>> = { gitignore: '.gitignore' };

/** Options for {@link scaffold}. */
export interface ScaffoldOptions {
  /** Where the app goes; created when missing, refused when it holds anything. */
  readonly directory: string;
  /** The package name; defaults to one made from the directory's name. */
  readonly name?: string | undefined;
  /** The `@tandem/*` version the app depends on (as `^version`); defaults to create-tandem's own. */
  readonly tandemVersion?: string | undefined;
}

/** What {@link scaffold} made. */
export interface ScaffoldResult {
  /** The app's absolute path. */
  readonly directory: string;
  readonly name: string;
  /** The files written, relative to the directory, sorted. */
  readonly files: readonly string[];
}

/** Thrown when the target directory already holds something: scaffolding never overwrites. */
export class DirectoryNotEmpty extends Error {
  constructor(readonly directory: string) {
    super(`${directory} is not empty; choose a new directory or empty this one`);
    this.name = 'DirectoryNotEmpty';
  }
}

/** The version create-tandem was released at, which the `@tandem/*` packages share. */
export async function ownVersion(): Promise<string> {
  const json: unknown = JSON.parse(await readFile(ownPackageJson, 'utf8'));
  const version = (json as { version?: unknown }).version;
  if (typeof version !== 'string') throw new Error('create-tandem has no version in its package.json');
  return version;
}

/** Every file under `directory`, relative to it (a plain walk: `recursive` readdir varies across Node 20 releases). */
async function listFiles(directory: string, prefix = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(join(directory, prefix), { withFileTypes: true })) {
    const path = join(prefix, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(directory, path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

async function isEmptyOrMissing(directory: string): Promise<boolean> {
  try {
    return (await readdir(directory)).length === 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
}

/**
 * Writes a new app into `directory`: the template's files (a command, a projection, a query,
 * their tests, a server and a README) and a package.json naming the app and its dependencies.
 */
export async function scaffold(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const directory = resolve(options.directory);
  if (!(await isEmptyOrMissing(directory))) throw new DirectoryNotEmpty(directory);
  const name = options.name ?? packageNameFor(basename(directory));
  const tandemVersion = options.tandemVersion ?? (await ownVersion());
  await mkdir(directory, { recursive: true });
  const written: string[] = [];
  for (const file of await listFiles(templateDirectory)) {
    const to = join(directory, dirname(file), renamedOnCopy[basename(file)] ?? basename(file));
    await mkdir(dirname(to), { recursive: true });
    await copyFile(join(templateDirectory, file), to);
    written.push(relative(directory, to));
  }
  const packageJson = `${JSON.stringify(appPackageJson(name, tandemVersion), null, 2)}\n`;
  await writeFile(join(directory, 'package.json'), packageJson);
  written.push('package.json');
  return { directory, name, files: written.sort() };
}

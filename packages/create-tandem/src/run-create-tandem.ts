import { parseArgs } from 'node:util';
import { relative } from 'node:path';
import { DirectoryNotEmpty, ownVersion, scaffold } from './scaffold.js';

/** Where {@link runCreateTandem} writes: the process's streams, or a test's buffers. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

const usage = `Usage: npm create tandem@latest <directory>
       npx create-tandem <directory>

Creates a Tandem app in <directory> (which must be new or empty): one command,
one projection, one query and their tests, served over HTTP on embedded SQLite.

Options:
  --name <name>  the package name (default: from the directory's name)
  -h, --help     show this help
  -v, --version  show the version
`;

/**
 * The `create-tandem` command: parses `args` (without node and the script), scaffolds, and
 * returns the exit code. Usage errors are 2, a non-empty directory 1, as shells expect.
 */
export async function runCreateTandem(args: readonly string[], output: Output): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        name: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    output.err(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    output.out(usage);
    return 0;
  }
  if (values.version === true) {
    output.out(`${await ownVersion()}\n`);
    return 0;
  }
  const [directory, ...extra] = positionals;
  if (directory === undefined || extra.length > 0) {
    output.err(
      `${directory === undefined ? 'Name the directory to create.' : `One directory, not ${positionals.length}.`}\n\n${usage}`,
    );
    return 2;
  }
  try {
    const app = await scaffold({ directory, name: values.name });
    const shown = relative(process.cwd(), app.directory) || '.';
    output.out(
      [
        `Created ${app.name} in ${app.directory}`,
        '',
        'Next:',
        `  cd ${shown}`,
        '  npm install',
        '  npm test     # the command, projection and query tests',
        '  npm start    # the app over HTTP on SQLite; prints its URL and a token',
        '',
      ].join('\n'),
    );
    return 0;
  } catch (error) {
    if (error instanceof DirectoryNotEmpty) {
      output.err(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

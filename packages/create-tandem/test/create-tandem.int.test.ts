import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ownVersion, runCreateTandem } from '../src/index.js';

/** Runs the command with captured output. */
async function run(...args: string[]) {
  let out = '';
  let err = '';
  const code = await runCreateTandem(args, {
    out: (text) => (out += text),
    err: (text) => (err += text),
  });
  return { code, out, err };
}

describe('create-tandem', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'create-tandem-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('scaffolds an app with a command, a projection, a query and their tests', async () => {
    const directory = join(root, 'My App');
    const { code, out } = await run(directory);
    assert.equal(code, 0);
    assert.match(out, /npm install/);
    const files = (await readdir(directory, { recursive: true })).sort();
    for (const file of [
      '.gitignore',
      'README.md',
      'package.json',
      'tsconfig.json',
      'src/app.ts',
      'src/balances.ts',
      'src/deposit.ts',
      'src/get-balance.ts',
      'src/main.ts',
      'test/balances.int.test.ts',
      'test/deposit.unit.test.ts',
      'test/http.e2e.test.ts',
    ])
      assert.ok(files.includes(file), `${file} missing from ${files.join(', ')}`);
    // The stand-in name npm packs is renamed back.
    assert.ok(!files.includes('gitignore'));
    const json = JSON.parse(await readFile(join(directory, 'package.json'), 'utf8')) as {
      name: string;
      dependencies: Record<string, string>;
    };
    assert.equal(json.name, 'my-app');
    assert.equal(json.dependencies['@tandem/core'], `^${await ownVersion()}`);
  });

  it('takes the package name from --name', async () => {
    const directory = join(root, 'named');
    assert.equal((await run(directory, '--name', 'bank')).code, 0);
    const json = JSON.parse(await readFile(join(directory, 'package.json'), 'utf8')) as { name: string };
    assert.equal(json.name, 'bank');
  });

  it('refuses a directory that holds anything, and leaves it as it was', async () => {
    const directory = join(root, 'taken');
    await mkdir(directory);
    await writeFile(join(directory, 'notes.txt'), 'mine');
    const { code, err } = await run(directory);
    assert.equal(code, 1);
    assert.match(err, /is not empty/);
    assert.deepEqual(await readdir(directory), ['notes.txt']);
  });

  it('fills an empty directory', async () => {
    const directory = join(root, 'empty');
    await mkdir(directory);
    assert.equal((await run(directory)).code, 0);
    assert.ok((await readdir(directory)).includes('package.json'));
  });

  it('prints help with --help, and usage on a missing directory or an unknown option', async () => {
    const help = await run('--help');
    assert.equal(help.code, 0);
    assert.match(help.out, /^Usage: npm create tandem@latest <directory>/);
    const missing = await run();
    assert.equal(missing.code, 2);
    assert.match(missing.err, /Name the directory/);
    const unknown = await run('app', '--typo');
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /Unknown option '--typo'/);
    assert.equal((await run('one', 'two')).code, 2);
  });
});

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { verifyToken } from '@tandem/http';

const secret = 'start-output-secret-start-output-secret';
const dir = mkdtempSync(join(tmpdir(), 'tandem-start-'));
const main = new URL('../src/main.ts', import.meta.url).pathname;
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `npm start`'s script until it has printed its banner (the `Try:` line), then stops it. */
async function banner(env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    env: { ...process.env, PORT: '0', NODE_ENV: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner: ${stdout}${stderr}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/^Try: .*\n/m.test(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}: ${stdout}${stderr}`));
    });
  });
  child.kill('SIGTERM');
  await exited;
  return { stdout, stderr };
}

describe('npm start', () => {
  it('prints an admin token in development, valid 12 hours', async () => {
    const { stdout } = await banner({ DATABASE_URL: `sqlite:${join(dir, 'dev.db')}`, TANDEM_SECRET: secret });
    assert.match(stdout, /^Tandem shop listening on http:\/\/127\.0\.0\.1:\d+$/m);
    assert.match(stdout, new RegExp(`^Database: sqlite:${join(dir, 'dev.db')}$`, 'm'));
    assert.match(stdout, /^Console: http:\/\/127\.0\.0\.1:\d+\/console\/ \(sign in with the admin token\)$/m);
    const token = /^Admin token: (\S+)$/m.exec(stdout)?.[1] ?? '';
    assert.deepEqual(await verifyToken(token, secret), { id: 'admin', roles: ['admin'] });
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
      iat: number;
      exp: number;
    };
    assert.equal(claims.exp - claims.iat, 12 * 3600);
  });

  it('prints no console address with TANDEM_CONSOLE=off', async () => {
    const { stdout } = await banner({
      DATABASE_URL: `sqlite:${join(dir, 'no-console.db')}`,
      TANDEM_SECRET: secret,
      TANDEM_CONSOLE: 'off',
    });
    assert.match(stdout, /^Admin token: /m);
    assert.doesNotMatch(stdout, /^Console:/m);
  });

  it('prints no token in production, and says how to mint one', async () => {
    const { stdout } = await banner({
      DATABASE_URL: `sqlite:${join(dir, 'prod.db')}`,
      TANDEM_SECRET: secret,
      NODE_ENV: 'production',
    });
    assert.match(stdout, /^Admin token: not printed in production; mint one with `tandem token/m);
    assert.doesNotMatch(stdout, /eyJ/);
  });

  it('refuses to start in production with a short TANDEM_SECRET, naming it', async () => {
    await assert.rejects(
      banner({
        DATABASE_URL: `sqlite:${join(dir, 'weak.db')}`,
        TANDEM_SECRET: 'short',
        NODE_ENV: 'production',
      }),
      /TANDEM_SECRET must be at least 32 bytes in production/,
    );
  });
});

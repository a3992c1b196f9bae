import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CommanderError, type Command } from 'commander';
import type { Store } from '@tandem/core';
import { createCli, loadConfig, resolveSecret, withApp, type AppConfig } from '@tandem/cli';
import { verifyToken } from '@tandem/http';
import { createPingApp } from './ping-app.js';

const dir = mkdtempSync(join(tmpdir(), 'tandem-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const secret = 'cli-test-secret-cli-test-secret-cli';

/** A CLI whose results, help and errors land in arrays, and whose usage errors throw. */
function cli(env: NodeJS.ProcessEnv, extend?: (program: Command, config: AppConfig) => void) {
  const out: string[] = [];
  const err: string[] = [];
  const program = createCli({
    name: 'tandem',
    description: 'test',
    createApp: createPingApp,
    write: (line) => out.push(line),
    output: { writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) },
    env,
    ...(extend === undefined ? {} : { extend }),
  });
  for (const command of [program, ...program.commands]) command.exitOverride();
  const run = (...args: string[]) => program.parseAsync(args, { from: 'user' });
  return { program, out, err, run };
}

const database = (name: string) => `sqlite:${join(dir, name)}`;

describe('tandem token', () => {
  it('prints a token that verifies with TANDEM_SECRET', async () => {
    const { out, run } = cli({ DATABASE_URL: database('token.db'), TANDEM_SECRET: secret });
    await run('token', '--user', 'u1', '--role', 'admin');
    assert.equal(out.length, 1);
    assert.deepEqual(await verifyToken(out[0] ?? '', secret), { id: 'u1', roles: ['admin'] });
  });

  it('signs with the development secret when TANDEM_SECRET is unset', async () => {
    const dataDir = join(dir, 'dev-data');
    const first = cli({ DATABASE_URL: `sqlite:${join(dataDir, 'app.db')}` });
    await first.run('token', '--user', 'u2', '--role', 'customer', '--expires-in', '30m');
    const second = cli({ DATABASE_URL: `sqlite:${join(dataDir, 'app.db')}` });
    await second.run('token', '--user', 'u3', '--role', 'customer');
    // Both tokens come from the one secret kept in the data folder.
    const devSecret = resolveSecret({ secret: undefined, production: false, dataDir });
    assert.equal((await verifyToken(first.out[0] ?? '', devSecret)).id, 'u2');
    assert.equal((await verifyToken(second.out[0] ?? '', devSecret)).id, 'u3');
  });

  it('sets the expiry from --expires-in: 12 h by default, never beyond TANDEM_TOKEN_MAX_LIFETIME', async () => {
    const env = { DATABASE_URL: database('token.db'), TANDEM_SECRET: secret };
    const lifetime = async (extra: NodeJS.ProcessEnv, ...args: string[]) => {
      const { out, run } = cli({ ...env, ...extra });
      await run('token', '--user', 'u1', '--role', 'admin', ...args);
      const claims = JSON.parse(Buffer.from(out[0]?.split('.')[1] ?? '', 'base64url').toString()) as {
        iat: number;
        exp: number;
      };
      return claims.exp - claims.iat;
    };
    assert.equal(await lifetime({}, '--expires-in', '30m'), 30 * 60);
    assert.equal(await lifetime({}), 12 * 3600);
    assert.equal(await lifetime({}, '--expires-in', '24h'), 24 * 3600);
    assert.equal(
      await lifetime({ TANDEM_TOKEN_MAX_LIFETIME: '1h' }),
      3600,
      'the default shrinks to the maximum',
    );
    assert.equal(await lifetime({ TANDEM_TOKEN_MAX_LIFETIME: '30d' }, '--expires-in', '30d'), 30 * 86_400);

    const { err, out, run } = cli(env);
    for (const expires of ['25h', '30d']) {
      await assert.rejects(
        run('token', '--user', 'u1', '--role', 'admin', '--expires-in', expires),
        (e: unknown) => e instanceof CommanderError,
      );
    }
    assert.match(err.join(''), /At most 24h, the maximum token lifetime \(TANDEM_TOKEN_MAX_LIFETIME\)/);
    await assert.rejects(
      run('token', '--user', 'u1', '--role', 'admin', '--expires-in', '0s'),
      (e: unknown) => e instanceof CommanderError,
    );
    assert.match(err.join(''), /Expected a positive duration/);
    assert.deepEqual(out, []);
  });

  it('sets the issuer and audience serve requires, from the same environment', async () => {
    const env = {
      DATABASE_URL: database('token.db'),
      TANDEM_SECRET: secret,
      TANDEM_TOKEN_ISSUER: 'https://shop.example',
      TANDEM_TOKEN_AUDIENCE: 'shop-api',
    };
    const { out, run } = cli(env);
    await run('token', '--user', 'u1', '--role', 'admin');
    const rules = { secret, issuer: env.TANDEM_TOKEN_ISSUER, audience: env.TANDEM_TOKEN_AUDIENCE };
    assert.deepEqual(await verifyToken(out[0] ?? '', rules), { id: 'u1', roles: ['admin'] });
    await assert.rejects(verifyToken(out[0] ?? '', { ...rules, audience: 'other' }), (error: unknown) =>
      /"aud"/.test(String((error as Error).cause)),
    );
  });

  it('refuses a missing option or a bad duration as a usage error, not a stack trace', async () => {
    const { err, out, run } = cli({ DATABASE_URL: database('token.db'), TANDEM_SECRET: secret });
    await assert.rejects(run('token', '--user', 'u1'), (e: unknown) => e instanceof CommanderError);
    assert.match(err.join(''), /required option '--role <role>' not specified/);
    await assert.rejects(
      run('token', '--user', 'u1', '--role', 'admin', '--expires-in', 'forever'),
      (e: unknown) => e instanceof CommanderError,
    );
    assert.match(err.join(''), /Expected a duration such as 30m or 12h/);
    assert.deepEqual(out, []);
  });

  it('refuses to sign when TANDEM_JWKS_URL is set: serve would refuse the token', async () => {
    const { run, out } = cli({
      DATABASE_URL: database('token.db'),
      TANDEM_SECRET: secret,
      TANDEM_JWKS_URL: 'https://id.example/.well-known/jwks.json',
    });
    await assert.rejects(run('token', '--user', 'u1', '--role', 'admin'), /TANDEM_JWKS_URL is set/);
    assert.deepEqual(out, []);
  });

  it('refuses to sign in production without TANDEM_SECRET, or with one under 32 bytes', async () => {
    const { run, out } = cli({ DATABASE_URL: database('token.db'), NODE_ENV: 'production' });
    await assert.rejects(run('token', '--user', 'u1', '--role', 'admin'), /TANDEM_SECRET must be set/);
    const short = cli({
      DATABASE_URL: database('token.db'),
      NODE_ENV: 'production',
      TANDEM_SECRET: 'x'.repeat(31),
    });
    await assert.rejects(
      short.run('token', '--user', 'u1', '--role', 'admin'),
      /TANDEM_SECRET must be at least 32 bytes in production/,
    );
    const enough = cli({
      DATABASE_URL: database('token.db'),
      NODE_ENV: 'production',
      TANDEM_SECRET: 'x'.repeat(32),
    });
    await enough.run('token', '--user', 'u1', '--role', 'admin');
    assert.equal((await verifyToken(enough.out[0] ?? '', 'x'.repeat(32))).id, 'u1');
    assert.deepEqual([...out, ...short.out], []);
  });

  it('signs with a short secret in development, warning on stderr, not in the output', async () => {
    const { run, out, err } = cli({ DATABASE_URL: database('token.db'), TANDEM_SECRET: 'demo' });
    await run('token', '--user', 'u1', '--role', 'admin');
    assert.equal((await verifyToken(out[0] ?? '', 'demo')).id, 'u1');
    assert.equal(out.length, 1);
    assert.match(err.join(''), /^WARNING: TANDEM_SECRET is only 4 bytes/);
  });
});

describe('tandem migrate and audit', () => {
  it('migrates, then prints the audit trail as a table, newest first', async () => {
    const env = { DATABASE_URL: database('audit.db'), TANDEM_SECRET: secret };
    const migrate = cli(env);
    await migrate.run('migrate');
    assert.deepEqual(migrate.out, ['Migrations applied.']);

    const empty = cli(env);
    await empty.run('audit');
    assert.match(empty.out[0] ?? '', /^ID +AT +OUTCOME +CODE +COMMAND +COMMAND ID +USER +POSITION$/);
    assert.equal(empty.out[1], '(no audit rows)');

    await withApp(loadConfig(env), createPingApp, async (app) => {
      const user = { id: 'alice', roles: ['customer'] };
      assert.equal((await app.execute({ type: 'Ping', data: {}, user, commandId: 'ping-1' })).ok, true);
      assert.equal(
        (await app.execute({ type: 'Ping', data: { x: 1 }, user, commandId: 'ping-2' })).ok,
        false,
      );
    });
    const audit = cli(env);
    await audit.run('audit', '--limit', '5');
    assert.equal(audit.out.length, 3);
    assert.match(audit.out[1] ?? '', /invalid +validation +Ping +ping-2 +alice +-$/);
    assert.match(audit.out[2] ?? '', /accepted +- +Ping +ping-1 +alice +1$/);
    const widths = audit.out.map((line) => line.indexOf('Ping'));
    assert.equal(widths[1], widths[2], 'columns line up');

    const one = cli(env);
    await one.run('audit', '--command-id', 'ping-1');
    assert.equal(one.out.length, 2);
    assert.match(one.out[1] ?? '', /ping-1/);

    const bad = cli(env);
    await assert.rejects(bad.run('audit', '--limit', 'lots'), (e: unknown) => e instanceof CommanderError);
    assert.match(bad.err.join(''), /Expected a whole number/);

    const refused = cli(env);
    await refused.run('audit', '--outcome', 'invalid,rejected', '--command-type', 'Ping', '--user', 'alice');
    assert.equal(refused.out.length, 2);
    assert.match(refused.out[1] ?? '', /invalid +validation +Ping +ping-2/);
    const id = Number(/^(\d+) /.exec(refused.out[1] ?? '')?.[1]);
    const below = cli(env);
    await below.run('audit', '--before-id', String(id), '--from', '2000-01-01', '--to', '1d');
    assert.equal(below.out[1], '(no audit rows)', 'rows at most a day old are after --to 1d');
    const page = cli(env);
    await page.run('audit', '--before-id', String(id), '--from', '1d');
    assert.equal(page.out.length, 2, 'the row below the cursor');
    assert.match(page.out[1] ?? '', /accepted +- +Ping +ping-1/);
    const other = cli(env);
    await other.run('audit', '--command-type', 'Pong');
    assert.equal(other.out[1], '(no audit rows)');

    const wrong = cli(env);
    await assert.rejects(
      wrong.run('audit', '--outcome', 'accepted,bogus'),
      (e: unknown) => e instanceof CommanderError,
    );
    assert.match(wrong.err.join(''), /Expected one or more of accepted/);
  });

  it('purges audit rows older than a bound, archiving them to NDJSON first', async () => {
    const env = { DATABASE_URL: database('audit-purge.db'), TANDEM_SECRET: secret };
    await withApp(loadConfig(env), createPingApp, async (app) => {
      const user = { id: 'alice', roles: ['customer'] };
      for (const id of ['p-1', 'p-2', 'p-3'])
        assert.equal((await app.execute({ type: 'Ping', data: {}, user, commandId: id })).ok, true);
    });
    const kept = cli(env);
    await kept.run('audit', 'purge', '--before', '30d');
    assert.match(kept.out[0] ?? '', /^Purged 0 audit rows recorded before /);

    const archive = join(dir, 'audit-archive.ndjson');
    const purge = cli(env);
    const future = new Date(Date.now() + 60_000).toISOString();
    await purge.run('audit', 'purge', '--before', future, '--archive', archive, '--batch-size', '2');
    assert.equal(purge.out[0], `Purged 3 audit rows recorded before ${future} (archived to ${archive}).`);
    const lines = (await readFile(archive, 'utf8')).trim().split('\n');
    assert.deepEqual(
      lines.map((line) => (JSON.parse(line) as { commandId: string }).commandId),
      ['p-1', 'p-2', 'p-3'],
    );
    const empty = cli(env);
    await empty.run('audit');
    assert.equal(empty.out[1], '(no audit rows)');
  });

  it('prints caller-chosen text escaped: one row, one line, no escape sequence reaches the terminal', async () => {
    const env = { DATABASE_URL: database('hostile.db'), TANDEM_SECRET: secret };
    await withApp(loadConfig(env), createPingApp, async (app) => {
      const hostile = [
        { commandType: '\u001b[2J\u001b[31mPing', commandId: 'ansi', userId: 'eve' },
        {
          commandType: 'Ping',
          commandId: 'x\r\n2026-01-01T00:00:00.000Z  accepted  -  Ping  forged',
          userId: 'eve',
        },
        { commandType: 'Ping', commandId: 'rtl', userId: 'eve\u202enimda' },
        { commandType: 'Ping', commandId: 'big', userId: 'u'.repeat(10 * 1024) },
      ];
      for (const [n, fields] of hostile.entries()) {
        await app.store.audit.record({
          ...fields,
          streamIds: [],
          payloadHash: 'h',
          outcome: 'unauthenticated',
          errorCode: 'unauthenticated',
          position: undefined,
          at: `2026-01-01T00:00:0${n}.000Z`,
        });
      }
    });
    const { out, run } = cli(env);
    await run('audit');
    assert.equal(out.length, 5, out.join('\n'));
    for (const line of out) {
      assert.equal(/[\p{Cc}\p{Cf}]/u.test(line), false, JSON.stringify(line.slice(0, 80)));
    }
    assert.match(out[1] ?? '', /u{256}… +-$/);
    assert.match(out[2] ?? '', /eve\\u202enimda/);
    assert.match(out[3] ?? '', /"x\\r\\n2026-01-01T00:00:00\.000Z {2}accepted {2}- {2}Ping {2}forged"/);
    assert.match(out[4] ?? '', /\\u001b\[2J\\u001b\[31mPing/);
  });

  it('tandem timers: the summary and the timers, as a table or JSON, caller text escaped', async () => {
    const env = { DATABASE_URL: database('timers.db'), TANDEM_SECRET: secret };
    const user = { id: 'eve\u202enimda', roles: ['admin'] };
    await withApp(loadConfig(env), createPingApp, async (app) => {
      await app.store.transaction(async (tx) => {
        await tx.timers.schedule({
          timerId: 'soon',
          command: { type: 'Ping', data: {} },
          afterMs: 3_600_000,
          user,
        });
        await tx.timers.schedule({
          timerId: 'second',
          command: { type: 'Ping', data: {} },
          afterMs: 7_200_000,
          user,
        });
        await tx.timers.schedule({
          timerId: 'dropped',
          command: { type: 'Ping', data: {} },
          afterMs: 60_000,
          user,
        });
      });
      await app.store.transaction((tx) => tx.timers.cancel('dropped'));
    });
    const table = cli(env);
    await table.run('timers', '--state', 'pending');
    assert.match(table.out[0] ?? '', /^pending 2 \(overdue 0\), fired 0, refused 0, cancelled 1; next due /);
    assert.match(table.out[1] ?? '', /^DUE +STATE +OUTCOME +TIMER +COMMAND +USER +SETTLED$/);
    assert.equal(table.out.length, 4, table.out.join('\n'));
    assert.match(table.out[2] ?? '', /pending +- +soon +Ping +eve\\u202enimda +-$/);
    for (const line of table.out) assert.equal(/[\p{Cc}\p{Cf}]/u.test(line), false, JSON.stringify(line));
    const json = cli(env);
    await json.run('timers', '--json', '--timer-id', 'dropped');
    const parsed = JSON.parse(json.out[0] ?? '') as {
      summary: { cancelled: number };
      timers: { state: string }[];
    };
    assert.equal(parsed.summary.cancelled, 1);
    assert.deepEqual(
      parsed.timers.map((t) => t.state),
      ['cancelled'],
    );
    const bad = cli(env);
    await assert.rejects(bad.run('timers', '--state', 'asleep'), (e: unknown) => e instanceof CommanderError);
    assert.match(bad.err.join(''), /Expected one of pending, fired, refused, cancelled/);
  });

  it('closes the store when the application fails to build', async () => {
    let opened: Store | undefined;
    const failing = createCli({
      name: 'tandem',
      description: 'test',
      createApp: async (store) => {
        opened = store;
        throw new Error('migration 3 failed');
      },
      write: () => undefined,
      env: { DATABASE_URL: database('failing.db'), TANDEM_SECRET: secret },
    });
    await assert.rejects(failing.parseAsync(['migrate'], { from: 'user' }), /migration 3 failed/);
    await assert.rejects(opened?.transaction(async () => 1) ?? Promise.resolve(), /closed/);
  });
});

describe('extend', () => {
  it("adds the application's own commands, which see the configuration", async () => {
    const seen: string[] = [];
    const { run } = cli({ DATABASE_URL: database('extend.db'), TANDEM_SECRET: secret }, (program, config) => {
      program
        .command('seed')
        .option('--products <n>', 'how many', '3')
        .action((flags: { products: string }) => {
          seen.push(`${flags.products} into ${config.databaseUrl}`);
        });
    });
    await run('seed', '--products', '7');
    assert.deepEqual(seen, [`7 into ${database('extend.db')}`]);
  });

  it('lists every built-in command in the help', async () => {
    const { program, out, run } = cli({ DATABASE_URL: database('help.db'), TANDEM_SECRET: secret });
    assert.deepEqual(
      program.commands.map((c) => c.name()),
      ['serve', 'worker', 'relay', 'token', 'audit', 'migrate', 'projections', 'timers'],
    );
    await assert.rejects(run('--help'), (e: unknown) => e instanceof CommanderError && e.exitCode === 0);
    assert.match(out.join(''), /Usage: tandem/);
  });
});

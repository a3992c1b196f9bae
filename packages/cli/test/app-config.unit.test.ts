import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '@tandem/cli';

describe('loadConfig', () => {
  it("takes the app's default database when DATABASE_URL is unset, and the variable over it", () => {
    assert.equal(
      loadConfig({}, { databaseUrl: 'sqlite:./data/bank.db' }).databaseUrl,
      'sqlite:./data/bank.db',
    );
    assert.equal(
      loadConfig({ DATABASE_URL: 'sqlite::memory:' }, { databaseUrl: 'sqlite:./data/bank.db' }).databaseUrl,
      'sqlite::memory:',
    );
  });

  it("defaults to the app's embedded database on 127.0.0.1:3000", () => {
    const config = loadConfig({});
    assert.deepEqual(config, {
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: 'sqlite:./data/app.db',
      dataDir: resolve('data'),
      secret: undefined,
      production: false,
      tokenIssuer: undefined,
      tokenAudience: undefined,
      tokenMaxLifetimeSeconds: 24 * 3600,
      jwksUrl: undefined,
      rolesClaim: undefined,
      redisUrl: undefined,
      redisPrefix: 'tandem',
    });
  });

  it('reads REDIS_URL and TANDEM_REDIS_PREFIX, refusing a URL that is not redis://', () => {
    const config = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/2', TANDEM_REDIS_PREFIX: '{shop}' });
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6379/2');
    assert.equal(config.redisPrefix, '{shop}');
    assert.throws(
      () => loadConfig({ REDIS_URL: 'http://127.0.0.1:6379' }),
      /REDIS_URL must be a redis:\/\/ URL/,
    );
    assert.throws(() => loadConfig({ REDIS_URL: 'not a url' }), /REDIS_URL must be a redis:\/\/ URL/);
  });

  it('reads TANDEM_JWKS_URL (https in production) and TANDEM_TOKEN_ROLES_CLAIM, refusing bad values by name', () => {
    const config = loadConfig({
      TANDEM_JWKS_URL: 'https://id.example/.well-known/jwks.json',
      TANDEM_TOKEN_ROLES_CLAIM: 'realm_access.roles',
    });
    assert.equal(config.jwksUrl, 'https://id.example/.well-known/jwks.json');
    assert.equal(config.rolesClaim, 'realm_access.roles');
    assert.equal(
      loadConfig({ TANDEM_JWKS_URL: 'http://127.0.0.1:8080/jwks' }).jwksUrl,
      'http://127.0.0.1:8080/jwks',
    );
    assert.throws(
      () => loadConfig({ TANDEM_JWKS_URL: 'http://id.example/jwks', NODE_ENV: 'production' }),
      /TANDEM_JWKS_URL must use https when NODE_ENV=production/,
    );
    for (const TANDEM_JWKS_URL of ['id.example/jwks', 'ftp://id.example/jwks']) {
      assert.throws(() => loadConfig({ TANDEM_JWKS_URL }), /TANDEM_JWKS_URL must be an http\(s\) URL/);
    }
    for (const TANDEM_TOKEN_ROLES_CLAIM of ['.roles', 'realm_access.', 'a..b']) {
      assert.throws(
        () => loadConfig({ TANDEM_TOKEN_ROLES_CLAIM }),
        /TANDEM_TOKEN_ROLES_CLAIM must be a claim name/,
      );
    }
  });

  it('reads the environment', () => {
    const config = loadConfig({
      PORT: '0',
      HOST: '0.0.0.0',
      DATABASE_URL: 'sqlite:/tmp/x/y.db',
      TANDEM_SECRET: 's',
      NODE_ENV: 'production',
    });
    assert.equal(config.port, 0);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.databaseUrl, 'sqlite:/tmp/x/y.db');
    assert.equal(config.dataDir, '/tmp/x');
    assert.equal(config.secret, 's');
    assert.equal(config.production, true);
  });

  it('reads the token rules: issuer, audience, and a maximum lifetime as a span or seconds', () => {
    const config = loadConfig({
      TANDEM_TOKEN_ISSUER: ' https://auth.example ',
      TANDEM_TOKEN_AUDIENCE: 'shop-api',
      TANDEM_TOKEN_MAX_LIFETIME: '30d',
    });
    assert.equal(config.tokenIssuer, 'https://auth.example');
    assert.equal(config.tokenAudience, 'shop-api');
    assert.equal(config.tokenMaxLifetimeSeconds, 30 * 86_400);
    assert.equal(loadConfig({ TANDEM_TOKEN_MAX_LIFETIME: '3600' }).tokenMaxLifetimeSeconds, 3600);
    assert.equal(loadConfig({ TANDEM_TOKEN_MAX_LIFETIME: '90 minutes' }).tokenMaxLifetimeSeconds, 5400);
    for (const TANDEM_TOKEN_MAX_LIFETIME of ['0', '0s', '-1h', 'forever', '1.5', '0.2s']) {
      assert.throws(
        () => loadConfig({ TANDEM_TOKEN_MAX_LIFETIME }),
        /TANDEM_TOKEN_MAX_LIFETIME must be a positive duration/,
        TANDEM_TOKEN_MAX_LIFETIME,
      );
    }
  });

  it('puts the data folder beside a relative SQLite file, and in ./data otherwise', () => {
    assert.equal(loadConfig({ DATABASE_URL: 'sqlite:var/db/app.db' }).dataDir, resolve('var/db'));
    assert.equal(loadConfig({ DATABASE_URL: 'sqlite::memory:' }).dataDir, resolve('data'));
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).dataDir, resolve('data'));
  });

  it('treats empty variables as unset', () => {
    const config = loadConfig({
      PORT: '',
      HOST: '',
      DATABASE_URL: '',
      TANDEM_SECRET: '',
      TANDEM_TOKEN_ISSUER: '',
      TANDEM_TOKEN_AUDIENCE: ' ',
      TANDEM_TOKEN_MAX_LIFETIME: '',
    });
    assert.equal(config.port, 3000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.databaseUrl, 'sqlite:./data/app.db');
    assert.equal(config.secret, undefined);
    assert.equal(config.tokenIssuer, undefined);
    assert.equal(config.tokenAudience, undefined);
    assert.equal(config.tokenMaxLifetimeSeconds, 24 * 3600);
  });

  it('refuses bad values, naming the variable', () => {
    for (const PORT of ['http', '3000abc', '-1', '1.5', '65536']) {
      assert.throws(() => loadConfig({ PORT }), /PORT must be a number from 0 to 65535/, PORT);
    }
    for (const DATABASE_URL of ['mysql://x', './shop.db', 'sqlite3:x.db', 'postgresql:/x']) {
      assert.throws(() => loadConfig({ DATABASE_URL }), /DATABASE_URL must be sqlite:<path>/, DATABASE_URL);
    }
    assert.throws(() => loadConfig({ DATABASE_URL: 'sqlite:' }), /needs a file path/);
  });

  it('names a bad DATABASE_URL without its password', () => {
    assert.throws(
      () => loadConfig({ DATABASE_URL: 'mysql://shop:hunter2@db.internal/shop' }),
      (error: Error) =>
        error.message.includes('mysql://shop:***@db.internal/shop') && !/hunter2/.test(error.message),
    );
  });
});

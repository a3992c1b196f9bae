import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '@tandem/cli';

describe('loadConfig', () => {
  it('defaults to the embedded shop database on port 3000', () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.databaseUrl, 'sqlite:./data/shop.db');
    assert.equal(config.dataDir, resolve('data'));
    assert.equal(config.secret, undefined);
    assert.equal(config.production, false);
  });

  it('reads the environment and refuses bad values clearly', () => {
    const config = loadConfig({
      PORT: '0',
      DATABASE_URL: 'sqlite:/tmp/x/y.db',
      TANDEM_SECRET: 's',
      NODE_ENV: 'production',
    });
    assert.equal(config.port, 0);
    assert.equal(config.dataDir, '/tmp/x');
    assert.equal(config.secret, 's');
    assert.equal(config.production, true);
    assert.throws(() => loadConfig({ PORT: 'http' }), /PORT must be a number/);
    assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://x' }), /DATABASE_URL must start with/);
  });
});

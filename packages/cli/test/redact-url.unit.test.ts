import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactUrl } from '@tandem/cli';

describe('redactUrl', () => {
  it('hides the password in the userinfo, keeping the user, host, database and schema', () => {
    assert.equal(
      redactUrl('postgres://postgres:hunter2@db.internal:5432/shop?schema=shop'),
      'postgres://postgres:***@db.internal:5432/shop?schema=shop',
    );
    assert.equal(redactUrl('postgresql://u:p@h/db'), 'postgresql://u:***@h/db');
  });

  it('hides a password holding unencoded @, /, ? or #, by reading the userinfo to the last @', () => {
    for (const password of ['p@ss', 'pa/ss', 'pa?ss', 'pa#ss', 'p:a:ss']) {
      const redacted = redactUrl(`postgres://shop:${password}@db.internal/shop`);
      assert.equal(redacted, 'postgres://shop:***@db.internal/shop', password);
    }
    // A user name with an @ (as some hosted services use) keeps its password hidden too.
    assert.equal(redactUrl('postgres://shop@corp:pw@db/shop'), 'postgres://shop@corp:***@db/shop');
  });

  it('hides password, sslpassword, secret, token and key parameters, whatever their case', () => {
    assert.equal(
      redactUrl('postgres://shop@db/shop?password=hunter2&schema=s&sslpassword=x#frag'),
      'postgres://shop@db/shop?password=***&schema=s&sslpassword=***#frag',
    );
    assert.equal(
      redactUrl('postgres://db/shop?PASSWORD=a;b&api_key=b&token=c'),
      'postgres://db/shop?PASSWORD=***&api_key=***&token=***',
    );
    assert.equal(
      redactUrl('host=db user=shop password=hunter2 dbname=shop'),
      'host=db user=shop password=*** dbname=shop',
    );
  });

  it('leaves URLs without credentials as they are', () => {
    for (const url of [
      'sqlite:./data/shop.db',
      'sqlite::memory:',
      'sqlite:/srv/shop@2/data.db',
      'postgres://postgres@127.0.0.1:5432/postgres?schema=shop',
      'postgres://db.internal/shop',
      'postgres://keystore.internal/tokens?schema=passes',
    ]) {
      assert.equal(redactUrl(url), url);
    }
  });
});

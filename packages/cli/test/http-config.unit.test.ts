import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadHttpConfig } from '@tandem/cli';

describe('readiness thresholds from the environment', () => {
  it('default to 30 s of lag for 60 s, and timers overdue by 60 s', () => {
    assert.deepEqual(loadHttpConfig({}).readiness, {
      maxLagSeconds: 30,
      lagGraceSeconds: 60,
      maxTimerDelaySeconds: 60,
    });
  });

  it('read TANDEM_READY_MAX_LAG_SECONDS, TANDEM_READY_LAG_GRACE_SECONDS and TANDEM_READY_MAX_TIMER_DELAY_SECONDS', () => {
    assert.deepEqual(
      loadHttpConfig({
        TANDEM_READY_MAX_LAG_SECONDS: '5',
        TANDEM_READY_LAG_GRACE_SECONDS: '0.5',
        TANDEM_READY_MAX_TIMER_DELAY_SECONDS: '7',
      }).readiness,
      { maxLagSeconds: 5, lagGraceSeconds: 0.5, maxTimerDelaySeconds: 7 },
    );
  });

  it('refuse a value that is not a number of seconds, naming the variable', () => {
    for (const bad of ['-1', 'soon', '1e3', '30s'])
      assert.throws(
        () => loadHttpConfig({ TANDEM_READY_MAX_LAG_SECONDS: bad }),
        /TANDEM_READY_MAX_LAG_SECONDS must be a number of seconds/,
      );
    assert.throws(
      () => loadHttpConfig({ TANDEM_READY_LAG_GRACE_SECONDS: 'x' }),
      /TANDEM_READY_LAG_GRACE_SECONDS/,
    );
  });
});

describe('request logging from the environment', () => {
  it('logs command requests unless TANDEM_LOG_REQUESTS says all or off', () => {
    assert.equal(loadHttpConfig({}).logRequests, 'commands');
    assert.equal(loadHttpConfig({ TANDEM_LOG_REQUESTS: 'all' }).logRequests, 'all');
    assert.equal(loadHttpConfig({ TANDEM_LOG_REQUESTS: 'off' }).logRequests, 'off');
    assert.equal(loadHttpConfig({ TANDEM_LOG_REQUESTS: 'false' }).logRequests, 'off');
    assert.throws(() => loadHttpConfig({ TANDEM_LOG_REQUESTS: 'some' }), /TANDEM_LOG_REQUESTS must be/);
  });
});

describe('the web console from the environment', () => {
  it('serves it unless TANDEM_CONSOLE is off', () => {
    assert.equal(loadHttpConfig({}).console, true);
    assert.equal(loadHttpConfig({ TANDEM_CONSOLE: 'on' }).console, true);
    assert.equal(loadHttpConfig({ TANDEM_CONSOLE: 'off' }).console, false);
    assert.equal(loadHttpConfig({ TANDEM_CONSOLE: 'false' }).console, false);
    assert.throws(() => loadHttpConfig({ TANDEM_CONSOLE: 'maybe' }), /TANDEM_CONSOLE must be on or off/);
  });
});

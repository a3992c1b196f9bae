import { describe } from 'node:test';
import { openSqliteStore } from '@tandem/sqlite';
import { shopTimeSpecs } from './fixtures/shop-time-specs.js';

// The shop's deadlines, promotion ends and notifications on SQLite, in-process: the app's daemon
// runs the workflow and the reaction, its scheduler fires the timers, nobody sends them by hand.
describe('the shop runs by itself (SQLite)', () => {
  shopTimeSpecs(async () => openSqliteStore({ filename: ':memory:' }));
});

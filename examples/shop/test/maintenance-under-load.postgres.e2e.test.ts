// The same maintenance-beside-a-live-server test as maintenance-under-load.e2e.test.ts, on PostgreSQL.
process.env.TANDEM_SHOP_STORE = 'postgres';
await import('./maintenance-under-load.e2e.test.js');

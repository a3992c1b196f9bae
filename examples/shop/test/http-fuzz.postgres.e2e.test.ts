// The same fuzzer as http-fuzz.e2e.test.ts, against the shop on PostgreSQL.
process.env.TANDEM_SHOP_STORE = 'postgres';
await import('./http-fuzz.e2e.test.js');

// The same suite as shop-http.e2e.test.ts, on PostgreSQL: the shop switches store by configuration only.
process.env.TANDEM_SHOP_STORE = 'postgres';
await import('./shop-http.e2e.test.js');

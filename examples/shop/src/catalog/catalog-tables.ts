import type { SqlMigration } from '@tandem/core';

/**
 * The catalog's own normalized tables: the write model of the state-stored half of the shop.
 * Portable SQL only, so the same migrations run on SQLite and PostgreSQL.
 */
export const catalogMigrations: readonly SqlMigration[] = [
  {
    id: '001-catalog',
    sql: `
      CREATE TABLE shop_customers (
        customer_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        state TEXT NOT NULL,
        registered_at TEXT NOT NULL
      );
      CREATE TABLE shop_products (
        product_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        category TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE shop_prices (
        product_id TEXT PRIMARY KEY REFERENCES shop_products (product_id),
        price INTEGER NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE shop_promotions (
        promotion_id TEXT PRIMARY KEY,
        product_id TEXT NOT NULL REFERENCES shop_products (product_id),
        percent_off INTEGER NOT NULL,
        ends_at TEXT,
        active INTEGER NOT NULL
      );
      CREATE INDEX shop_promotions_product ON shop_promotions (product_id, active);
    `,
  },
];

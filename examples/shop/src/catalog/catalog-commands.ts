import { defineCommand, reject, requireRole, TandemError, type StreamEvents } from '@tandem/core';
import { z } from 'zod';
import { inventoryStream, type InventoryEvent } from '../inventory/inventory-events.js';
import { entityId } from '../entity-id.js';
import { usState } from '../us-states.js';
import { customerStream, productStream, type CatalogEvent } from './catalog-events.js';
import { findCustomer, findProduct } from './catalog-lookup.js';

const cents = z.number().int().min(0).max(100_000_000);

/** Emits catalog events on one stream; the tables carry the consistency checks, so any version. */
const emit = (streamId: string, ...events: (CatalogEvent | InventoryEvent)[]): StreamEvents => ({
  streamId,
  events,
  expectedVersion: 'any',
});

export const RegisterCustomer = defineCommand({
  type: 'RegisterCustomer',
  description: 'Registers the caller as a customer (the id is the token subject)',
  schema: z.strictObject({ name: z.string().trim().min(1).max(200), state: usState }),
  creates: true,
  authorize: requireRole('customer'),
  resultIds: ({ user }) => ({ customerId: user.id }),
}).stateStored(async ({ data, user, metadata }, sql) => {
  if ((await findCustomer(sql, user.id)) !== undefined) reject('You are already registered');
  await sql.execute(
    'INSERT INTO shop_customers (customer_id, name, state, registered_at) VALUES (?, ?, ?, ?)',
    [user.id, data.name, data.state, metadata.timestamp],
  );
  return [
    emit(customerStream(user.id), {
      type: 'CustomerRegistered',
      data: { customerId: user.id, name: data.name, state: data.state },
    }),
  ];
});

export const CreateProduct = defineCommand({
  type: 'CreateProduct',
  schema: z.strictObject({
    productId: entityId,
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2_000),
    category: z.string().trim().min(1).max(100),
    price: cents,
    initialStock: z.number().int().min(0).max(10_000_000).optional(),
  }),
  generatedIds: ['productId'],
  // Only admins create products, and they own the whole catalog: SKUs of their choosing are fine.
  acceptsClientIds: true,
  authorize: requireRole('admin'),
}).stateStored(async ({ data, metadata }, sql) => {
  const exists = await sql.query('SELECT 1 FROM shop_products WHERE product_id = ?', [data.productId]);
  if (exists.length > 0) reject(`Product ${data.productId} already exists`);
  await sql.execute(
    'INSERT INTO shop_products (product_id, name, description, category, created_at) VALUES (?, ?, ?, ?, ?)',
    [data.productId, data.name, data.description, data.category, metadata.timestamp],
  );
  await sql.execute('INSERT INTO shop_prices (product_id, price, updated_at) VALUES (?, ?, ?)', [
    data.productId,
    data.price,
    metadata.timestamp,
  ]);
  const { initialStock, ...product } = data;
  const streams: StreamEvents[] = [
    emit(productStream(data.productId), { type: 'ProductCreated', data: product }),
  ];
  if (initialStock !== undefined && initialStock > 0) {
    // The stock stream is event-sourced; a new product's stream must not exist yet.
    streams.push({
      streamId: inventoryStream(data.productId),
      expectedVersion: 'no-stream',
      events: [
        {
          type: 'StockAdjusted',
          data: { productId: data.productId, delta: initialStock, reason: 'initial', stock: initialStock },
        },
      ],
    });
  }
  return streams;
});

export const AdjustProductPrice = defineCommand({
  type: 'AdjustProductPrice',
  schema: z.strictObject({ productId: entityId, price: cents }),
  authorize: requireRole('admin'),
}).stateStored(async ({ data, metadata }, sql) => {
  const product = await findProduct(sql, data.productId, metadata.timestamp);
  if (product === undefined) throw new TandemError('not-found', `Product ${data.productId} not found`);
  if (product.price === data.price) return [];
  await sql.execute('UPDATE shop_prices SET price = ?, updated_at = ? WHERE product_id = ?', [
    data.price,
    metadata.timestamp,
    data.productId,
  ]);
  return [
    emit(productStream(data.productId), {
      type: 'ProductPriceAdjusted',
      data: { productId: data.productId, price: data.price, previousPrice: product.price },
    }),
  ];
});

/** The timer that ends a promotion at its `endsAt`: one per promotion. */
export const promotionEndTimer = (promotionId: string) => `promotion-end:${promotionId}`;

/**
 * Starts a promotion. One with `endsAt` schedules its own EndPromotion then, in the same commit,
 * so product pages stop showing the discount on time without anyone sending it.
 */
export const StartPromotion = defineCommand({
  type: 'StartPromotion',
  schema: z.strictObject({
    promotionId: entityId,
    productId: entityId,
    percentOff: z.number().int().min(1).max(90),
    endsAt: z.iso.datetime().optional(),
  }),
  generatedIds: ['promotionId'],
  acceptsClientIds: true,
  authorize: requireRole('admin'),
}).stateStored(async ({ data, metadata, timers }, sql) => {
  if ((await findProduct(sql, data.productId, metadata.timestamp)) === undefined) {
    throw new TandemError('not-found', `Product ${data.productId} not found`);
  }
  // Normalized so the table's text comparison with command timestamps is a time comparison.
  const endsAt = data.endsAt === undefined ? null : new Date(data.endsAt).toISOString();
  if (endsAt !== null && endsAt <= metadata.timestamp) reject('A promotion must end in the future');
  const exists = await sql.query('SELECT 1 FROM shop_promotions WHERE promotion_id = ?', [data.promotionId]);
  if (exists.length > 0) reject(`Promotion ${data.promotionId} already exists`);
  await sql.execute(
    'INSERT INTO shop_promotions (promotion_id, product_id, percent_off, ends_at, active) VALUES (?, ?, ?, ?, 1)',
    [data.promotionId, data.productId, data.percentOff, endsAt],
  );
  if (endsAt !== null)
    timers.schedule({
      timerId: promotionEndTimer(data.promotionId),
      at: endsAt,
      command: { type: 'EndPromotion', data: { promotionId: data.promotionId } },
    });
  return [emit(productStream(data.productId), { type: 'PromotionStarted', data: { ...data, endsAt } })];
});

/**
 * Ends a running promotion, by hand or by the timer StartPromotion scheduled at its `endsAt`
 * (sent as the admin who started it). Ending one by hand cancels that timer; a timer that fires
 * for a promotion ended meanwhile is refused here (`domain-rule`) and shows as `refused`.
 */
export const EndPromotion = defineCommand({
  type: 'EndPromotion',
  schema: z.strictObject({ promotionId: entityId }),
  authorize: requireRole('admin'),
}).stateStored(async ({ data, timers }, sql) => {
  const [promotion] = await sql.query<{ product_id: string; active: number; ends_at: string | null }>(
    'SELECT product_id, active, ends_at FROM shop_promotions WHERE promotion_id = ?',
    [data.promotionId],
  );
  if (promotion === undefined) throw new TandemError('not-found', `Promotion ${data.promotionId} not found`);
  if (Number(promotion.active) !== 1) reject(`Promotion ${data.promotionId} has already ended`);
  await sql.execute('UPDATE shop_promotions SET active = 0 WHERE promotion_id = ?', [data.promotionId]);
  // Ended by hand before its end: its timer has nothing left to do (fired by that timer, the
  // cancel finds it fired already). Only one with an end has a timer, and so an id a timer may be
  // named by: any other is never looked up.
  if (promotion.ends_at !== null) timers.cancel(promotionEndTimer(data.promotionId));
  return [
    emit(productStream(promotion.product_id), {
      type: 'PromotionEnded',
      data: { promotionId: data.promotionId, productId: promotion.product_id },
    }),
  ];
});

import { defineQuery, hasRole, type FieldFilter, type Principal } from '@tandem/core';
import { z } from 'zod';
import { entityId } from '../entity-id.js';
import { usState } from '../us-states.js';
import { customerNotificationsProjection } from '../read-models/customer-notifications.js';
import { inventoryLevelsProjection } from '../read-models/inventory-levels.js';
import { orderHistoryProjection } from '../read-models/order-history.js';
import { orderSummariesProjection } from '../read-models/order-summaries.js';
import { productPagesProjection } from '../read-models/product-pages.js';
import { revenueProjection, type ProductDayRevenue } from '../read-models/revenue.js';

// Query strings carry text: numbers and booleans are coerced here, at the boundary.
const limit = z.coerce.number().int().min(1).max(100).optional();
const cursor = z.string().max(500).optional();
const day = z.iso.date();
const isAdmin = (user: Principal) => hasRole(user, 'admin');

/**
 * The product page: one key lookup instead of the seeds' four-table join. Public. The view is the
 * document as stored, so it is read as its JSON text and sent as is.
 */
export const GetProductPage = defineQuery({
  name: 'GetProductPage',
  params: z.strictObject({ productId: entityId }),
  projections: [productPagesProjection],
  public: true,
  handler: async ({ params }, read) =>
    (await read.collection(productPagesProjection, 'products')).getJson(params.productId),
});

/** Full-text search with filters, or filters alone; sorted by price or name. Public. */
export const SearchProducts = defineQuery({
  name: 'SearchProducts',
  params: z.strictObject({
    q: z.string().trim().max(200).optional(),
    category: z.string().max(100).optional(),
    inStock: z.enum(['true', 'false']).optional(),
    sort: z.enum(['price', '-price', 'name', '-name']).optional(),
    limit,
    cursor,
  }),
  projections: [productPagesProjection],
  public: true,
  async handler({ params }, read) {
    const products = await read.collection(productPagesProjection, 'products');
    const where: FieldFilter[] = [];
    if (params.category !== undefined) where.push({ field: 'category', op: 'eq', value: params.category });
    if (params.inStock !== undefined)
      where.push({ field: 'inStock', op: 'eq', value: params.inStock === 'true' });
    const sort =
      params.sort === undefined
        ? undefined
        : ({
            field: params.sort.endsWith('price') ? 'effectivePrice' : 'name',
            direction: params.sort.startsWith('-') ? 'desc' : 'asc',
          } as const);
    const query = {
      where,
      limit: params.limit,
      cursor: params.cursor,
      ...(sort === undefined ? {} : { sort }),
    };
    if (params.q !== undefined && params.q !== '') return products.search(params.q, query);
    return products.find({ ...query, sort: sort ?? { field: 'name', direction: 'asc' } });
  },
});

/** One order as its owner (or an admin) sees it; anyone else gets 404. */
export const GetOrderSummary = defineQuery({
  name: 'GetOrderSummary',
  params: z.strictObject({ orderId: entityId }),
  projections: [orderSummariesProjection],
  async handler({ params, user }, read) {
    const order = await (await read.collection(orderSummariesProjection, 'orders')).get(params.orderId);
    return order !== undefined && user !== undefined && (order.customerId === user.id || isAdmin(user))
      ? order
      : undefined;
  },
});

/** The caller's orders, newest first, optionally one month. */
export const GetMyOrders = defineQuery({
  name: 'GetMyOrders',
  params: z.strictObject({
    month: z
      .string()
      .regex(/^\d{4}-\d{2}$/, 'YYYY-MM')
      .optional(),
    limit,
    cursor,
  }),
  projections: [orderHistoryProjection],
  async handler({ params, user }, read) {
    const history = await read.collection(orderHistoryProjection, 'history');
    const where: FieldFilter[] = [{ field: 'customerId', op: 'eq', value: user?.id ?? '' }];
    if (params.month !== undefined) where.push({ field: 'month', op: 'eq', value: params.month });
    return history.find({
      where,
      sort: { field: 'placedAt', direction: 'desc' },
      limit: params.limit,
      cursor: params.cursor,
    });
  },
});

/** Stock levels, optionally only those below a threshold (lowest first). Admin. */
export const GetInventoryLevels = defineQuery({
  name: 'GetInventoryLevels',
  params: z.strictObject({ lowStockBelow: z.coerce.number().int().min(0).optional(), limit, cursor }),
  projections: [inventoryLevelsProjection],
  authorize: isAdmin,
  async handler({ params }, read) {
    const levels = await read.collection(inventoryLevelsProjection, 'levels');
    const where: FieldFilter[] =
      params.lowStockBelow === undefined ? [] : [{ field: 'stock', op: 'lt', value: params.lowStockBelow }];
    return levels.find({
      where,
      sort: { field: 'stock', direction: 'asc' },
      limit: params.limit ?? 100,
      cursor: params.cursor,
    });
  },
});

/**
 * Revenue between two days (inclusive), per day or per product. The rows are pre-aggregated per
 * day and per product-day; grouping by product adds up the few rows of the range.
 */
export const GetRevenue = defineQuery({
  name: 'GetRevenue',
  params: z.strictObject({ from: day, to: day, groupBy: z.enum(['day', 'product']) }),
  projections: [revenueProjection],
  authorize: isAdmin,
  async handler({ params }, read) {
    const range: FieldFilter[] = [
      { field: 'day', op: 'gte', value: params.from },
      { field: 'day', op: 'lte', value: params.to },
    ];
    if (params.groupBy === 'day') {
      const days = await read.collection(revenueProjection, 'daily');
      const page = await days.find({ where: range, sort: { field: 'day', direction: 'asc' }, limit: 500 });
      return { groupBy: 'day', rows: page.items, total: page.items.reduce((n, d) => n + d.revenue, 0) };
    }
    const productDays = await read.collection(revenueProjection, 'productDays');
    const byProduct = new Map<string, Omit<ProductDayRevenue, 'day'>>();
    let cursor: string | undefined;
    do {
      const page = await productDays.find({
        where: range,
        sort: { field: 'day', direction: 'asc' },
        limit: 500,
        cursor,
      });
      for (const row of page.items) {
        const sum = byProduct.get(row.productId) ?? {
          productId: row.productId,
          name: row.name,
          revenue: 0,
          quantity: 0,
        };
        byProduct.set(row.productId, {
          ...sum,
          revenue: sum.revenue + row.revenue,
          quantity: sum.quantity + row.quantity,
        });
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    const rows = [...byProduct.values()].sort(
      (a, b) => b.revenue - a.revenue || a.productId.localeCompare(b.productId),
    );
    return { groupBy: 'product', rows, total: rows.reduce((n, r) => n + r.revenue, 0) };
  },
});

/** Seed 004's "payment_pending orders in California by amount": one index range. Admin. */
export const FindOrders = defineQuery({
  name: 'FindOrders',
  params: z.strictObject({
    status: z.enum(['payment_pending', 'paid', 'shipped', 'cancelled']),
    customerState: usState.optional(),
    limit,
    cursor,
  }),
  projections: [orderSummariesProjection],
  authorize: isAdmin,
  async handler({ params }, read) {
    const orders = await read.collection(orderSummariesProjection, 'orders');
    const where: FieldFilter[] = [{ field: 'status', op: 'eq', value: params.status }];
    if (params.customerState !== undefined)
      where.push({ field: 'customerState', op: 'eq', value: params.customerState });
    return orders.find({
      where,
      sort: { field: 'total', direction: 'desc' },
      limit: params.limit,
      cursor: params.cursor,
    });
  },
});

/**
 * The caller's notifications (a customer's own only), newest first, optionally about one order; an
 * admin sees everyone's. The shop's table of what it told customers, written by the
 * shipment-notifications reaction.
 */
export const ListMyNotifications = defineQuery({
  name: 'ListMyNotifications',
  params: z.strictObject({ orderId: entityId.optional(), limit, cursor }),
  projections: [customerNotificationsProjection],
  async handler({ params, user }, read) {
    const notifications = await read.collection(customerNotificationsProjection, 'notifications');
    const where: FieldFilter[] =
      user !== undefined && isAdmin(user) ? [] : [{ field: 'customerId', op: 'eq', value: user?.id ?? '' }];
    if (params.orderId !== undefined) where.push({ field: 'orderId', op: 'eq', value: params.orderId });
    return notifications.find({
      where,
      sort: { field: 'at', direction: 'desc' },
      limit: params.limit,
      cursor: params.cursor,
    });
  },
});

export const shopQueries = [
  GetProductPage,
  SearchProducts,
  GetOrderSummary,
  GetMyOrders,
  GetInventoryLevels,
  GetRevenue,
  FindOrders,
  ListMyNotifications,
];

import Fastify, { type FastifyInstance } from 'fastify';
import type { productPage } from './baseline-schema.js';

/** An order as the baseline's client sends it. */
export interface BaselineOrder {
  readonly orderId: string;
  readonly customerId: string;
  readonly items: readonly { readonly productId: string; readonly quantity: number }[];
  readonly shippingAddress: Readonly<Record<string, string>>;
}

/** What an order attempt came to. */
export type OrderOutcome = 'placed' | 'sold-out' | 'duplicate' | 'unknown-customer';

/** The single model's data access: one implementation per database. */
export interface BaselineDb {
  page(productId: string): Promise<ReturnType<typeof productPage>>;
  /** One transaction: lock the inventory rows, check, decrement, insert the order. */
  placeOrder(order: BaselineOrder): Promise<OrderOutcome>;
  stock(productIds: readonly string[]): Promise<Record<string, number>>;
  close(): Promise<void>;
}

const statusOf: Record<OrderOutcome, number> = {
  placed: 201,
  'sold-out': 422,
  duplicate: 409,
  'unknown-customer': 403,
};

function isOrder(body: unknown): body is Omit<BaselineOrder, 'customerId'> {
  const b = body as Partial<BaselineOrder> | null;
  return (
    typeof b?.orderId === 'string' &&
    Array.isArray(b.items) &&
    b.items.length > 0 &&
    b.items.every((i) => typeof i.productId === 'string' && Number.isInteger(i.quantity) && i.quantity > 0) &&
    typeof b.shippingAddress === 'object'
  );
}

/**
 * The baseline's HTTP API, plain Fastify: `GET /products/:id` (the join), `POST /orders` (the
 * customer from an `X-Customer-Id` header, as a session would give it), and `GET /bench/stock`.
 */
export function createBaselineApp(db: BaselineDb): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get<{ Params: { id: string } }>('/products/:id', async (request, reply) => {
    const page = await db.page(request.params.id);
    return page === undefined ? reply.code(404).send({ error: 'not found' }) : page;
  });
  app.post('/orders', async (request, reply) => {
    const customerId = request.headers['x-customer-id'];
    if (typeof customerId !== 'string' || !isOrder(request.body))
      return reply.code(400).send({ error: 'invalid order' });
    const outcome = await db.placeOrder({ ...request.body, customerId });
    return reply.code(statusOf[outcome]).send({ orderId: request.body.orderId, outcome });
  });
  app.get<{ Querystring: { ids: string } }>('/bench/stock', async (request) =>
    db.stock(request.query.ids.split(',')),
  );
  app.addHook('onClose', () => db.close());
  return app;
}

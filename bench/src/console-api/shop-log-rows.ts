import { createHash, randomUUID } from 'node:crypto';

/** One event row as Tandem stores it, with the position it gets (dense from 1). */
export interface ShopLogRow {
  readonly position: number;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly eventId: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: Record<string, string>;
  readonly recordedAt: string;
}

/** Every `cancelEvery`-th order is cancelled: `OrderCancelled` is the rare type. */
export const cancelEvery = 500;
/** Every `hotEvery`-th order also reserves the hot product: a long inventory stream. */
export const hotEvery = 10;
/** Products of the catalog, one inventory stream each. */
export const products = 2_000;

/** The W3C trace id of command `k` of order `order` (deterministic: the bench looks it up). */
export function traceOf(order: number, k: number): string {
  return createHash('md5').update(`${order}:${k}`).digest('hex');
}

/**
 * A log shaped like the shop's, `total` events: per order a PlaceOrder (OrderPlaced and a
 * StockReserved per line), then ConfirmPayment and ShipOrder (with the CustomerNotified the
 * reaction records), or, every {@link cancelEvery}-th order, a cancellation that releases the
 * stock. Every event carries the order's correlation id and its command's traceparent, as the
 * pipeline stamps them. Yields batches of rows in position order.
 */
export function* shopLogRows(total: number, batch: number): Generator<ShopLogRow[]> {
  const versions = new Map<string, number>();
  const start = Date.parse('2026-01-01T00:00:00.000Z');
  let position = 0;
  let rows: ShopLogRow[] = [];
  for (let order = 1; position < total; order += 1) {
    const orderId = `o${order}`;
    const customerId = `c${order % 5_000}`;
    const lines = [
      `p${(order * 7) % products}`,
      ...(order % hotEvery === 0 ? ['hot'] : [`p${(order * 13 + 1) % products}`]),
    ];
    const commands: { type: string; events: { streamId: string; type: string; data: unknown }[] }[] = [
      {
        type: 'PlaceOrder',
        events: [
          {
            streamId: `order-${orderId}`,
            type: 'OrderPlaced',
            data: {
              orderId,
              customerId,
              customerName: `Customer ${customerId}`,
              customerState: 'CA',
              items: lines.map((productId) => ({
                productId,
                name: `Product ${productId}`,
                unitPrice: 1_299,
                quantity: 1,
                lineTotal: 1_299,
              })),
              total: 1_299 * lines.length,
              shippingAddress: { line1: '1 Main St', city: 'Springfield', state: 'CA', zip: '90001' },
              placedAt: new Date(start + position).toISOString(),
            },
          },
          ...lines.map((productId) => ({
            streamId: `inventory-${productId}`,
            type: 'StockReserved',
            data: { productId, orderId, quantity: 1, stock: 1_000 },
          })),
        ],
      },
    ];
    if (order % cancelEvery === 0) {
      commands.push({
        type: 'CancelOrder',
        events: [
          {
            streamId: `order-${orderId}`,
            type: 'OrderCancelled',
            data: {
              orderId,
              cancelledBy: customerId,
              cancelledAt: new Date(start + position).toISOString(),
              items: lines.map((productId) => ({ productId, quantity: 1 })),
            },
          },
          ...lines.map((productId) => ({
            streamId: `inventory-${productId}`,
            type: 'StockReleased',
            data: { productId, orderId, quantity: 1, stock: 1_000 },
          })),
        ],
      });
    } else {
      const at = new Date(start + position).toISOString();
      commands.push(
        {
          type: 'ConfirmPayment',
          events: [
            { streamId: `order-${orderId}`, type: 'PaymentConfirmed', data: { orderId, confirmedAt: at } },
          ],
        },
        {
          type: 'ShipOrder',
          events: [{ streamId: `order-${orderId}`, type: 'OrderShipped', data: { orderId, shippedAt: at } }],
        },
        {
          type: 'RecordShipmentNotification',
          events: [
            {
              streamId: `notification-${orderId}`,
              type: 'CustomerNotified',
              data: { orderId, customerId, kind: 'order-shipped', at },
            },
          ],
        },
      );
    }
    for (const [k, command] of commands.entries()) {
      const commandId = randomUUID();
      const metadata = {
        commandId,
        commandType: command.type,
        correlationId: `corr-${orderId}`,
        causationId: commandId,
        userId: customerId,
        traceparent: `00-${traceOf(order, k)}-${'0'.repeat(15)}${k + 1}-01`,
      };
      for (const event of command.events) {
        if (position >= total) break;
        position += 1;
        const version = (versions.get(event.streamId) ?? 0) + 1;
        versions.set(event.streamId, version);
        rows.push({
          position,
          streamId: event.streamId,
          streamVersion: version,
          eventId: randomUUID(),
          type: event.type,
          data: event.data,
          metadata,
          recordedAt: new Date(start + position).toISOString(),
        });
        if (rows.length === batch) {
          yield rows;
          rows = [];
        }
      }
    }
  }
  if (rows.length > 0) yield rows;
}

/** A product's stock in one warehouse, as the order transaction locked it. */
export interface WarehouseStock {
  readonly warehouse_id: number;
  readonly stock: number;
}

/** The warehouse nearest a customer: a stable hash of the id, 1..warehouses. */
export function homeWarehouse(customerId: string, warehouses: number): number {
  let hash = 0;
  for (let i = 0; i < customerId.length; i++) hash = (hash * 31 + customerId.charCodeAt(i)) >>> 0;
  return 1 + (hash % warehouses);
}

/**
 * The locked rows (in warehouse order, the lock order) rotated so the customer's nearest warehouse
 * comes first: orders then spread over the warehouses instead of all draining warehouse 1.
 */
export function homeWarehouseFirst<T extends WarehouseStock>(
  rows: readonly T[],
  customerId: string,
  warehouses: number,
): T[] {
  const home = homeWarehouse(customerId, warehouses);
  const at = rows.findIndex((r) => Number(r.warehouse_id) >= home);
  return at <= 0 ? [...rows] : [...rows.slice(at), ...rows.slice(0, at)];
}

/**
 * Takes `quantity` units from the warehouses in the order given: [warehouse, units] pairs, or
 * undefined when they hold fewer units in all.
 */
export function takeFromWarehouses(
  rows: readonly WarehouseStock[],
  quantity: number,
): [warehouse: number, units: number][] | undefined {
  const taken: [number, number][] = [];
  let left = quantity;
  for (const row of rows) {
    if (left === 0) break;
    const units = Math.min(left, Number(row.stock));
    if (units > 0) taken.push([Number(row.warehouse_id), units]);
    left -= units;
  }
  return left === 0 ? taken : undefined;
}

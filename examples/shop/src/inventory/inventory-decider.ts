import { reject, type Decider } from '@tandem/core';
import type { AdjustmentReason, InventoryEvent } from './inventory-events.js';

export interface InventoryState {
  readonly stock: number;
  /** Quantity reserved per order, so a cancellation releases exactly what was taken. */
  readonly reservations: Readonly<Record<string, number>>;
}

export type InventoryCommand =
  | { type: 'Adjust'; productId: string; delta: number; reason: AdjustmentReason }
  | { type: 'Reserve'; productId: string; orderId: string; quantity: number }
  | { type: 'Release'; productId: string; orderId: string };

/** A product's stock: never negative, reserved per order, released on cancellation. */
export const inventoryDecider: Decider<InventoryCommand, InventoryState, InventoryEvent> = {
  initialState: () => ({ stock: 0, reservations: {} }),
  evolve(state, event) {
    switch (event.type) {
      case 'StockAdjusted':
        return { ...state, stock: event.data.stock };
      case 'StockReserved':
        return {
          stock: event.data.stock,
          reservations: { ...state.reservations, [event.data.orderId]: event.data.quantity },
        };
      case 'StockReleased': {
        const { [event.data.orderId]: _released, ...rest } = state.reservations;
        return { stock: event.data.stock, reservations: rest };
      }
    }
  },
  decide(command, state) {
    switch (command.type) {
      case 'Adjust': {
        const stock = state.stock + command.delta;
        if (stock < 0)
          reject(`Stock of ${command.productId} cannot go below zero`, {
            productId: command.productId,
            stock: state.stock,
          });
        return [
          {
            type: 'StockAdjusted',
            data: { productId: command.productId, delta: command.delta, reason: command.reason, stock },
          },
        ];
      }
      case 'Reserve':
        if (command.quantity > state.stock) {
          reject(`Not enough stock of ${command.productId}`, {
            unavailable: [
              { productId: command.productId, requested: command.quantity, available: state.stock },
            ],
          });
        }
        return [
          {
            type: 'StockReserved',
            data: {
              productId: command.productId,
              orderId: command.orderId,
              quantity: command.quantity,
              stock: state.stock - command.quantity,
            },
          },
        ];
      case 'Release': {
        const quantity = state.reservations[command.orderId];
        // Nothing reserved for this order: releasing again must not invent stock.
        if (quantity === undefined) return [];
        return [
          {
            type: 'StockReleased',
            data: {
              productId: command.productId,
              orderId: command.orderId,
              quantity,
              stock: state.stock + quantity,
            },
          },
        ];
      }
    }
  },
};

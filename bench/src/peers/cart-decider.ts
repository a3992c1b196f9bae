/** The decider both sides of the command benchmark run: a shopping cart that takes items. */
export interface CartState {
  readonly lines: number;
  readonly total: number;
}

// Type aliases, not interfaces: Emmett's event and command types want an index signature.
export type CartItemAdded = {
  readonly type: 'CartItemAdded';
  readonly data: { readonly sku: string; readonly quantity: number; readonly price: number };
};

export type AddCartItem = {
  readonly type: 'AddCartItem';
  readonly data: { readonly sku: string; readonly quantity: number; readonly price: number };
};

/** Lines a cart may hold; the benchmark stays below it, but `decide` checks it on every command. */
export const maxCartLines = 100;

/**
 * The pure decider, with each framework's own way to refuse a command (`reject` for Tandem, an
 * EmmettError for Emmett), so neither side pays for the other's error type.
 */
export function cartDecider(refuse: (reason: string) => never) {
  return {
    initialState: (): CartState => ({ lines: 0, total: 0 }),
    evolve: (state: CartState, event: CartItemAdded): CartState => ({
      lines: state.lines + 1,
      total: state.total + event.data.quantity * event.data.price,
    }),
    decide: (command: AddCartItem, state: CartState): CartItemAdded[] => {
      if (state.lines >= maxCartLines) refuse('The cart is full');
      return [{ type: 'CartItemAdded', data: { ...command.data } }];
    },
  };
}

/** The item of command number `index`: the same on both sides. */
export function cartItem(index: number): AddCartItem['data'] {
  return { sku: `sku-${index % 997}`, quantity: 1 + (index % 5), price: 1999 };
}

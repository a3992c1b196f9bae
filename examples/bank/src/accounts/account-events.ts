/** The events of one account's stream. Amounts are integer cents: no floating-point money. */
export type AccountEvent =
  | { type: 'AccountOpened'; data: { accountId: string; ownerId: string } }
  | { type: 'MoneyDeposited'; data: { accountId: string; amountCents: number } }
  | {
      type: 'TransferSent';
      data: { accountId: string; transferId: string; toAccountId: string; amountCents: number };
    }
  | {
      type: 'TransferReceived';
      data: { accountId: string; transferId: string; fromAccountId: string; amountCents: number };
    };

/** The stream of one account. */
export function accountStream(accountId: string): string {
  return `account-${accountId}`;
}

export { createBankApp, type BankApp } from './bank-app.js';
export { accountDecider, type AccountCommand, type AccountState } from './accounts/account-decider.js';
export { accountStream, type AccountEvent } from './accounts/account-events.js';
export { depositUpcasters } from './accounts/deposit-upcasters.js';
export { Deposit } from './accounts/deposit.js';
export { OpenAccount } from './accounts/open-account.js';
export { Transfer } from './accounts/transfer.js';
export { GetAccount, ListMyAccounts } from './queries/bank-queries.js';
export { accountBalancesProjection, accountViews, type AccountView } from './read-models/account-balances.js';

// The bank's command line, `npm run bank -- <command>`: serve, worker, token, audit, migrate and
// projections come from @tandem/cli, configured from the environment (DATABASE_URL, TANDEM_SECRET,
// PORT...). Only the app factory is the bank's own.
import { createCli } from '@tandem/cli';
import { createBankApp } from './bank-app.js';

const program = createCli({
  name: 'bank',
  description: 'The guide bank: serve it, run projection workers, mint tokens, read the audit trail',
  createApp: createBankApp,
  databaseUrl: 'sqlite:./data/bank.db',
});

await program.parseAsync(process.argv);

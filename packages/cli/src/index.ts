export { loadConfig, type AppConfig } from './app-config.js';
export { resolveSecret } from './dev-secret.js';
export { openStore } from './open-store.js';
export { serve, type AppFactory, type RunningServer, type ServeOptions } from './serve.js';
export { withApp } from './with-app.js';
export { createCli, type CliOptions } from './create-cli.js';
export { textTable } from './text-table.js';
export { progressLine } from './progress-bar.js';

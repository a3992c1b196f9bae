export { loadConfig, type AppConfig } from './app-config.js';
export { resolveSecret } from './dev-secret.js';
export { openStore } from './open-store.js';
export { serve, type AppFactory, type RunningServer } from './serve.js';
export { createCli, type CliOptions } from './create-cli.js';
export { progressLine } from './progress-bar.js';

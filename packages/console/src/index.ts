export { registerConsole, type ConsoleOptions } from './register-console.js';
export { consoleSecurityHeaders } from './console-security-headers.js';

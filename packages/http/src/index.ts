export { createHttpServer, type HttpServerOptions } from './http-server.js';
export { errorStatus } from './error-status.js';
export { problemDetails, type ProblemDetails } from './problem-details.js';
export {
  authenticate,
  defaultMaxTokenLifetimeSeconds,
  signToken,
  verifyToken,
  type TokenAuth,
  type TokenRules,
} from './jwt-auth.js';
export { durationSeconds } from './duration-seconds.js';
export { openApiDocument } from './openapi-document.js';

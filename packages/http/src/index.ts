export { createHttpServer, type HttpServerOptions } from './http-server.js';
export { errorStatus } from './error-status.js';
export { problemDetails, type ProblemDetails } from './problem-details.js';
export { authenticate, signToken, verifyToken } from './jwt-auth.js';
export { openApiDocument } from './openapi-document.js';

import type { Tandem } from '@tandem/core';
import { createHttpServer } from '@tandem/http';

/**
 * The HTTP server: `POST /commands/Deposit`, `GET /queries/GetBalance`, `GET /openapi.json` and
 * the health probes, with bearer tokens signed (HS256) by `secret`.
 */
export function createServer(app: Tandem, secret: string) {
  return createHttpServer({ tandem: app, auth: { secret }, title: 'Tandem app' });
}

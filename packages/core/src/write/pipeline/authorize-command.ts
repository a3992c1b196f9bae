import { TandemError } from '../../errors/tandem-error.js';
import type { CommandMiddleware } from './command-context.js';

/** Runs the command's policy hook; a refusal is `forbidden`. */
export function authorizeCommand(): CommandMiddleware {
  return async (context, next) => {
    const policy = context.definition?.authorize;
    if (policy !== undefined && context.user !== undefined && !(await policy(context.user, context.data))) {
      throw new TandemError('forbidden', `You may not send ${context.request.type}`);
    }
    return next();
  };
}

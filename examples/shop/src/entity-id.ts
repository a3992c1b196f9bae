import { z } from 'zod';

/** Client-supplied ids (products, orders, promotions): non-empty, at most 100 characters. */
export const entityId = z.string().min(1).max(100);

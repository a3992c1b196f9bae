import type { Tandem } from '@tandem/core';

/**
 * Closes an app after a short pause. Works around a race in the projection runner: a stop that
 * lands while a batch read is in flight is missed, and the loop then sleeps in `waitForEvents`
 * for its full 5 s timeout before it notices. The pause lets the runner reach that wait first.
 */
export async function closeApp(app: Tandem): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  await app.close();
}

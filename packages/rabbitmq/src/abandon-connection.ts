import type { ChannelModel } from 'amqplib';

/** How long a failed connection may take to close politely before its socket is destroyed. */
const politeCloseMs = 2_000;

/**
 * Closes a connection that failed, without waiting forever: a broker that stopped answering never
 * sends the close-ok `model.close()` waits for. After 2 s the socket is destroyed instead; amqplib
 * has no public way to drop a connection, so this reaches its `connection.stream` when there is one.
 * Never rejects: the connection is being given up on, and a failure to close it changes nothing.
 */
export async function abandonConnection(model: ChannelModel): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const polite = model.close().then(
    () => true,
    () => true, // already closed or broken: nothing left to release politely
  );
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), politeCloseMs);
  });
  const closed = await Promise.race([polite, late]);
  clearTimeout(timer);
  if (closed) return;
  const stream = (model.connection as { readonly stream?: { destroy?: () => void } }).stream;
  stream?.destroy?.();
}

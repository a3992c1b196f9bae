/**
 * How many TCP sockets this process has open now (Node's active resources): a broker connection
 * the relay opened shows here, and must be gone once whatever owns it closed. Counted around a
 * test's own steps, with its other connections held open the whole time.
 */
export function openSockets(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'TCPSocketWrap').length;
}

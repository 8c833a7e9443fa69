/**
 * The name a node goes by on the LAN (DNS-SD instance and `.local` host name): its seeded hostname, else `macula-` and
 * the first 8 characters of its node id. The agent advertises it; the desktop records it for nodes seeded without a
 * hostname, so both sides agree without the node telling.
 */
export function nodeName(hostname: string | undefined, nodeId: string): string {
  return hostname ?? `macula-${nodeId.slice(0, 8)}`;
}

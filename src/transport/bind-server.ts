import type { AddressInfo, Server } from 'node:net';

/** Listen on host:port (0 = ephemeral), then keep later server errors from reaching the
 * process; resolves with the real address. */
export async function bindServer(
  server: Server,
  host: string,
  port: number,
): Promise<{ host: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => undefined);
  const addr = server.address() as AddressInfo;
  return { host: addr.address, port: addr.port };
}

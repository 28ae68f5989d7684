/**
 * A free TCP port on loopback, for tests that must name ports before starting a process (a
 * cluster's --peers list). The port is free when returned; the caller binds it soon after.
 * Exports: freePort.
 */
import net from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('no port'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

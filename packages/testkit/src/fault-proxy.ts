/**
 * A fault-injecting TCP proxy for partition tests: it forwards connections to a target until
 * told to partition, then black-holes them (accepted connections stay open but nothing passes,
 * as with a dropped network path), until healed. Placing one proxy on each directed path
 * between cluster nodes lets a test cut any node off, in one direction or both.
 * Exports: FaultProxy.
 */
import net from 'node:net';

export class FaultProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private dropping = false;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.server = net.createServer((client) => this.accept(client));
  }

  async start(port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = this.server.address();
    this.port = address !== null && typeof address !== 'string' ? address.port : 0;
    return this.port;
  }

  /** Drops all traffic from now on: open connections go silent, new ones hear nothing. */
  partition(): void {
    this.dropping = true;
  }

  /** Lets traffic through again; silenced connections are closed so clients reconnect. */
  heal(): void {
    this.dropping = false;
    for (const socket of this.sockets) if (socket.readableFlowing === false) socket.destroy();
  }

  get partitioned(): boolean {
    return this.dropping;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    if (this.dropping) {
      client.pause();
      return;
    }
    // No Nagle on either leg: the proxy stands in for a network path, which does not hold small
    // writes back for an acknowledgement (with Nagle, a small reply behind an unacknowledged one
    // waits for the peer's delayed ACK, up to 40 ms on Linux, per hop).
    client.setNoDelay(true);
    const upstream = net.connect({ port: this.targetPort, host: this.targetHost, noDelay: true });
    this.sockets.add(upstream);
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    const forward = (from: net.Socket, to: net.Socket) => {
      from.on('data', (chunk: Buffer) => {
        if (this.dropping) {
          // A partition: traffic vanishes, and this connection stays silent until healed.
          from.pause();
          return;
        }
        to.write(chunk);
      });
    };
    forward(client, upstream);
    forward(upstream, client);
  }
}

import net, { type AddressInfo, type Socket } from 'node:net';

export type BlackHoleProxy = {
  /** Where clients connect instead of the target. */
  host: string;
  port: number;
  /**
   * From now on nothing passes, on the connections open and on new ones, and nothing is
   * closed: bytes are read and dropped, no RST, no FIN, exactly a network that silently
   * drops packets (a firewall change, a failed-over server's old address).
   */
  blackHole(): void;
  /**
   * Closes the connections to the target, and only those (after blackHole: the clients hear
   * nothing of it): the server finds its peers gone, as its TCP keepalives would, ends their
   * sessions and frees what they held.
   */
  cutTarget(): void;
  /** Bytes dropped since blackHole(), each way. */
  dropped(): { toTarget: number; toClient: number };
  /** Connections accepted so far. */
  accepted(): number;
  /** Destroys every socket and stops listening: the clients' connections end, and they hear it. */
  close(): Promise<void>;
};

/** A loopback TCP proxy to `target` that can be switched to a black hole. */
export async function startBlackHoleProxy(target: { host: string; port: number }): Promise<BlackHoleProxy> {
  let dark = false;
  let accepted = 0;
  const dropped = { toTarget: 0, toClient: 0 };
  const sockets = new Set<Socket>();
  const upstreams = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A reset while dark is nobody's business; while forwarding, the partner goes too (below).
    socket.on('error', () => undefined);
  };

  /** Forwards `from` to `to` while not dark; counts what it drops once dark. */
  const forward = (from: Socket, to: Socket | undefined, way: 'toTarget' | 'toClient') => {
    from.on('data', (chunk: Buffer) => {
      if (dark || !to) dropped[way] += chunk.length;
      else to.write(chunk);
    });
    // A close passes on only while forwarding: once dark, the other side never learns of it.
    from.on('end', () => {
      if (!dark) to?.end();
    });
    from.on('close', () => {
      if (!dark) to?.destroy();
    });
  };

  // allowHalfOpen: a FIN from one side is not answered by the proxy's own.
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    accepted += 1;
    track(client);
    if (dark) {
      forward(client, undefined, 'toTarget');
      return;
    }
    const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    track(upstream);
    upstreams.add(upstream);
    upstream.on('close', () => upstreams.delete(upstream));
    forward(client, upstream, 'toTarget');
    forward(upstream, client, 'toClient');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    blackHole: () => {
      dark = true;
    },
    cutTarget: () => {
      for (const upstream of upstreams) upstream.destroy();
    },
    dropped: () => ({ ...dropped }),
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

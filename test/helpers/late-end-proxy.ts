import net, { type AddressInfo, type Socket } from 'node:net';

export type LateEndProxy = {
  /** Where clients connect instead of the server. */
  host: string;
  port: number;
  /**
   * On the connection the server sees from `clientPort` (pg_stat_activity.client_port): from
   * the server's next ErrorResponse on (the FATAL of a terminated session), what the server
   * sends and its close are held back, as by a slow network, until the client sends anything
   * on it again; then they pass, the close last. What the server answers before passes.
   */
  holdErrorOf(clientPort: number): void;
  /** Destroys every socket and stops listening. */
  close(): Promise<void>;
};

/**
 * Where the server's messages start in what it sent, as the PostgreSQL protocol frames them
 * after the startup (no SSL): a type byte and a length that counts itself.
 */
function messageStarts(): (chunk: Buffer) => Array<{ offset: number; type: string }> {
  let header = Buffer.alloc(0);
  let left = 0;
  return (chunk) => {
    const starts: Array<{ offset: number; type: string }> = [];
    let at = 0;
    while (at < chunk.length) {
      if (left > 0) {
        const skip = Math.min(left, chunk.length - at);
        left -= skip;
        at += skip;
        continue;
      }
      if (header.length === 0) starts.push({ offset: at, type: String.fromCharCode(chunk[at]!) });
      const take = Math.min(5 - header.length, chunk.length - at);
      header = Buffer.concat([header, chunk.subarray(at, at + take)]);
      at += take;
      if (header.length === 5) {
        left = header.readInt32BE(1) - 4;
        header = Buffer.alloc(0);
      }
    }
    return starts;
  };
}

/** The SSLRequest's code, in place of a startup's protocol version. */
const SSL_REQUEST = 80877103;

/** A loopback TCP proxy to a PostgreSQL server (without SSL) that can make a session's end late. */
export async function startLateEndProxy(target: { host: string; port: number }): Promise<LateEndProxy> {
  const sockets = new Set<Socket>();
  /** By the upstream's local port (the client port the server sees): arms its hold. */
  const arms = new Map<number, () => void>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    track(client);
    const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    track(upstream);
    const starts = messageStarts();
    let armed = false;
    let held: Buffer[] | undefined;
    let ended = false;
    let firstFromClient = true;
    let sslAnswerDue = false;
    upstream.once('connect', () => arms.set(upstream.localPort!, () => (armed = true)));
    upstream.on('data', (chunk: Buffer) => {
      // The server's one-byte answer to an SSLRequest ("N": no TLS) precedes its framed messages.
      if (sslAnswerDue) {
        sslAnswerDue = false;
        client.write(chunk.subarray(0, 1));
        chunk = chunk.subarray(1);
        if (chunk.length === 0) return;
      }
      if (held) {
        held.push(chunk);
        return;
      }
      const error = starts(chunk).find((start) => start.type === 'E');
      if (armed && error) {
        client.write(chunk.subarray(0, error.offset));
        held = [chunk.subarray(error.offset)];
        return;
      }
      client.write(chunk);
    });
    upstream.on('end', () => {
      if (held) ended = true;
      else client.end();
    });
    upstream.on('close', () => {
      if (!held) client.destroy();
    });
    client.on('data', (chunk: Buffer) => {
      // A client preferring TLS (audiencectl, as libpq) opens with an SSLRequest.
      if (firstFromClient) {
        firstFromClient = false;
        sslAnswerDue =
          chunk.length >= 8 && chunk.readInt32BE(0) === 8 && chunk.readInt32BE(4) === SSL_REQUEST;
      }
      if (!held) {
        upstream.write(chunk);
        return;
      }
      // The client spoke again: the held answer, and the close, reach it now.
      const late = held;
      held = undefined;
      for (const part of late) client.write(part);
      if (ended || upstream.destroyed) client.end();
    });
    client.on('end', () => upstream.end());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    holdErrorOf: (clientPort) => {
      const arm = arms.get(clientPort);
      if (!arm) throw new Error(`no connection of the proxy's comes from port ${clientPort}`);
      arm();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

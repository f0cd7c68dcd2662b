import net from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';

/**
 * libpq's default, `sslmode=prefer`, which node-postgres lacks (its default is no TLS at all):
 * a state URL naming no sslmode connected in clear text to a server that speaks TLS, where psql
 * and every libpq client the team points at the same URL encrypt. Both halves of prefer: TLS when
 * the server has it (its certificate unchecked, as prefer does), and clear text, as libpq, when
 * the server answers that it has none, when the TLS handshake fails (a server speaking only TLS
 * 1.0 or 1.1, below Node's minimum), or when the server refuses the encrypted session (28000: a
 * pg_hba.conf whose client lines are `hostnossl`, or a `reject` line for encrypted sessions).
 *
 * The connection is ours: node-postgres, given it as its `stream` (a documented setting) and no
 * `ssl`, speaks clear text over it, and it carries the bytes over TLS or not, as decided here.
 * node-postgres's internals are not touched.
 */
export function preferredTlsStream(): Duplex {
  return new PreferredTlsSocket();
}

/** The SSLRequest: length 8, code 80877103. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/**
 * SQLSTATE invalid_authorization_specification, as the server's first answer to an encrypted
 * startup: no pg_hba.conf line takes this session encrypted. Never the password's refusal
 * (28P01): its server has a line for the encrypted session, and clear text would be refused the
 * same.
 */
const REFUSED_ENCRYPTED = '28000';

/** The SQLSTATE of a whole ErrorResponse message (`E`, length, fields), or undefined. */
function errorCode(message: Buffer): string | undefined {
  for (let at = 5; at < message.length && message[at] !== 0;) {
    const end = message.indexOf(0, at + 1);
    if (end < 0) return undefined;
    if (message[at] === 0x43 /* C */) return message.toString('latin1', at + 1, end);
    at = end + 1;
  }
  return undefined;
}

/** The socket node-postgres sees: connect(), keepalive and no-delay as a net.Socket has them. */
class PreferredTlsSocket extends Duplex {
  #target: net.NetConnectOpts = { port: 5432 };
  #host: string | undefined;
  #keepAlive: [boolean, number] | undefined;
  #noDelay = false;
  #unref = false;
  /** The clear socket to the server (under TLS, when TLS is taken). */
  #raw: net.Socket | undefined;
  /** The TLS socket whose handshake is under way: its failure falls back to clear text. */
  #handshake: tls.TLSSocket | undefined;
  /** The socket the bytes go through, once settled: `#raw`, or TLS over it. */
  #inner: net.Socket | undefined;
  /** The client heard 'connect' (once: a fallback after it sends its startup again itself). */
  #connected = false;
  /**
   * Over TLS, until the server's first message: what the client sent (its startup), to send
   * again in clear text if that message refuses the encrypted session; and that message so far.
   */
  #pending: { sent: Buffer[]; answer: Buffer } | undefined;

  constructor() {
    super({ allowHalfOpen: false });
  }

  connect(port: number | string, host?: string): this {
    // node-postgres passes a Unix socket's path alone: libpq tries no TLS there.
    const local = host === undefined && typeof port === 'string' && !/^\d+$/.test(port);
    this.#host = host;
    this.#target = local ? { path: String(port) } : { port: Number(port), host: host ?? 'localhost' };
    this.#open(!local, []);
    return this;
  }

  setNoDelay(noDelay = true): this {
    this.#noDelay = noDelay;
    this.#raw?.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable = false, delay = 0): this {
    this.#keepAlive = [enable, delay];
    this.#raw?.setKeepAlive(enable, delay);
    return this;
  }

  ref(): this {
    this.#unref = false;
    this.#raw?.ref();
    return this;
  }

  unref(): this {
    this.#unref = true;
    this.#raw?.unref();
    return this;
  }

  /** A clear socket to the server, asking for TLS first when `tryTls`; `resend` is written first. */
  #open(tryTls: boolean, resend: Buffer[]): void {
    const raw = net.connect(this.#target);
    this.#raw = raw;
    raw.setNoDelay(this.#noDelay);
    if (this.#keepAlive) raw.setKeepAlive(...this.#keepAlive);
    if (this.#unref) raw.unref();
    raw.on('error', (error) => this.#failed(raw, error));
    raw.once('connect', () => {
      if (!tryTls) {
        for (const chunk of resend) raw.write(chunk);
        return this.#use(raw);
      }
      raw.write(SSL_REQUEST);
      raw.once('data', (answer: Buffer) => this.#answered(raw, answer));
    });
  }

  /** The server's answer to the SSLRequest: `N` (no TLS), or `S` and the handshake. */
  #answered(raw: net.Socket, answer: Buffer): void {
    if (this.destroyed || raw !== this.#raw) return;
    const said = answer.length === 1 ? answer.toString('latin1') : '';
    if (said === 'N') return this.#use(raw);
    if (said !== 'S') {
      this.destroy(new Error('There was an error establishing an SSL connection'));
      return;
    }
    const secure = tls.connect({
      socket: raw,
      rejectUnauthorized: false,
      // SNI never names an IP address (RFC 6066).
      ...(this.#host && net.isIP(this.#host) === 0 ? { servername: this.#host } : {}),
    });
    this.#handshake = secure;
    secure.on('error', (error: Error) => this.#failed(secure, error));
    secure.once('secureConnect', () => {
      if (secure !== this.#handshake) return;
      this.#handshake = undefined;
      this.#pending = { sent: [], answer: Buffer.alloc(0) };
      this.#use(secure);
    });
  }

  /** `socket` failed: a TLS attempt not settled yet is given up for clear text; else the end. */
  #failed(socket: net.Socket, error: Error): void {
    if (this.destroyed) return;
    // A socket already given up says nothing more.
    if (socket !== this.#raw && socket !== this.#handshake && socket !== this.#inner) return;
    if (this.#handshake) return this.#fallBack();
    this.destroy(error);
  }

  /** The TLS attempt is given up: a new connection, in clear text (the startup sent again). */
  #fallBack(): void {
    const sent = this.#pending?.sent ?? [];
    const given = [this.#handshake, this.#inner, this.#raw];
    this.#pending = undefined;
    this.#handshake = undefined;
    this.#inner = undefined;
    for (const socket of given) {
      socket?.removeAllListeners('data');
      socket?.on('error', () => undefined);
      socket?.destroy();
    }
    this.#open(false, sent);
  }

  /** The connection is `socket`: the client hears 'connect' (once), and the bytes flow. */
  #use(socket: net.Socket): void {
    this.#inner = socket;
    socket.on('data', (chunk: Buffer) => this.#received(socket, chunk));
    socket.on('end', () => {
      if (socket === this.#inner) this.push(null);
    });
    socket.on('close', () => {
      if (socket === this.#inner) this.destroy();
    });
    if (this.#connected) return;
    this.#connected = true;
    this.emit('connect');
  }

  #received(socket: net.Socket, chunk: Buffer): void {
    if (socket !== this.#inner) return;
    const pending = this.#pending;
    if (pending) {
      // The server's first message over TLS: a refusal of the encrypted session falls back.
      pending.answer = Buffer.concat([pending.answer, chunk]);
      if (pending.answer.length < 5) return;
      if (pending.answer[0] === 0x45 /* E */) {
        const length = pending.answer.readUInt32BE(1) + 1;
        if (pending.answer.length < length) return;
        if (errorCode(pending.answer.subarray(0, length)) === REFUSED_ENCRYPTED) return this.#fallBack();
      }
      this.#pending = undefined;
      chunk = pending.answer;
    }
    if (!this.push(chunk)) socket.pause();
  }

  override _read(): void {
    this.#inner?.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.#pending?.sent.push(chunk);
    const inner = this.#inner;
    // Nothing is written before 'connect', nor during a fallback (the client awaits an answer).
    if (!inner) return done(new Error('the connection to the server is not open'));
    inner.write(chunk, (error) => done(error));
  }

  override _final(done: (error?: Error | null) => void): void {
    this.#inner?.end();
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.#handshake?.destroy();
    this.#inner?.destroy();
    this.#raw?.destroy();
    done(error);
  }
}

/**
 * The browser side of the push-service stand-in, for tests only: a minimal WebSocket server
 * (RFC 6455: text frames, ping/pong, close; no extensions) speaking Mozilla's push protocol
 * (the one Firefox's `PushServiceWebSocket` uses with `dom.push.serverURL`): `hello` gives the
 * browser a `uaid`, `register` a push endpoint at the stand-in's HTTPS origin, and each accepted
 * push reaches the browser as a `notification` with the encrypted body, which the browser
 * decrypts with its own subscription keys. With it, Firefox subscribes for real.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** One browser connection: send a JSON message to it. */
export interface PushConnection {
  send(message: Record<string, unknown>): void;
}

/** What the push service does with the browser's messages. */
export type PushProtocolHandler = (
  message: Record<string, unknown>,
  connection: PushConnection,
) => Record<string, unknown> | null;

function frame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const head =
    payload.length < 126
      ? Buffer.from([0x81, payload.length])
      : payload.length < 65536
        ? Buffer.from([0x81, 126, payload.length >> 8, payload.length & 0xff])
        : Buffer.concat([Buffer.from([0x81, 127]), bigLength(payload.length)]);
  return Buffer.concat([head, payload]);
}

function bigLength(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** Read the complete client frames at the start of `buffer`; returns them and the rest. */
function readFrames(buffer: Buffer): { frames: { opcode: number; data: Buffer }[]; rest: Buffer } {
  const frames: { opcode: number; data: Buffer }[] = [];
  let at = 0;
  for (;;) {
    if (buffer.length - at < 2) break;
    const opcode = (buffer[at] as number) & 0x0f;
    const masked = ((buffer[at + 1] as number) & 0x80) !== 0;
    let length = (buffer[at + 1] as number) & 0x7f;
    let offset = at + 2;
    if (length === 126) {
      if (buffer.length < offset + 2) break;
      length = buffer.readUInt16BE(offset);
      offset += 2;
    } else if (length === 127) {
      if (buffer.length < offset + 8) break;
      length = Number(buffer.readBigUInt64BE(offset));
      offset += 8;
    }
    const maskLength = masked ? 4 : 0;
    if (buffer.length < offset + maskLength + length) break;
    const mask = buffer.subarray(offset, offset + maskLength);
    const data = Buffer.from(buffer.subarray(offset + maskLength, offset + maskLength + length));
    if (masked)
      for (let i = 0; i < data.length; i++) data[i] = (data[i] as number) ^ (mask[i % 4] as number);
    frames.push({ opcode, data });
    at = offset + maskLength + length;
  }
  return { frames, rest: buffer.subarray(at) };
}

/** A WebSocket push server on a free loopback port (`ws://127.0.0.1:<port>/`). */
export async function startPushWebSocket(
  handle: PushProtocolHandler,
): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const sockets = new Set<Duplex>();
  const server = createServer((_req, res) => {
    res.writeHead(426);
    res.end();
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string') {
      socket.destroy();
      return;
    }
    const accept = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    const protocol = req.headers['sec-websocket-protocol'] === 'push-notification';
    socket.write(
      [
        'HTTP/1.1 101 Switching Protocols',
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Accept: ${accept}`,
        ...(protocol ? ['Sec-WebSocket-Protocol: push-notification'] : []),
        '',
        '',
      ].join('\r\n'),
    );
    sockets.add(socket);
    const connection: PushConnection = {
      send: (message) => socket.write(frame(JSON.stringify(message))),
    };
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const { frames, rest } = readFrames(Buffer.concat([pending, chunk]));
      pending = rest;
      for (const { opcode, data } of frames) {
        if (opcode === 0x8) {
          socket.end(Buffer.from([0x88, 0]));
          return;
        }
        if (opcode === 0x9) {
          socket.write(Buffer.concat([Buffer.from([0x8a, data.length]), data]));
          continue;
        }
        if (opcode !== 0x1) continue;
        let message: unknown;
        try {
          message = JSON.parse(data.toString('utf8'));
        } catch {
          continue;
        }
        if (typeof message !== 'object' || message === null || Array.isArray(message)) continue;
        // `{}` is the protocol's keep-alive ping.
        const answer =
          Object.keys(message).length === 0
            ? {}
            : handle(message as Record<string, unknown>, connection);
        if (answer) connection.send(answer);
      }
    });
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `ws://127.0.0.1:${port}/`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A browser's user-agent id (`uaid`), as Mozilla's service gives one: 32 hex digits. */
export function newUaid(): string {
  return randomBytes(16).toString('hex');
}

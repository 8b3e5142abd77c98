/**
 * The reference of bench:mesh's browser rows: `bytes` over a raw WebSocket from a page of a browser
 * to a `ws` server in this process on loopback, 64 KiB messages, at most 4 MiB buffered; the time is
 * the page's, first send → the server's "ok" once it counted every byte.
 */
import type { BrowserContext } from 'playwright-core';
import { WebSocketServer } from 'ws';

export interface RawWs {
  /** One transfer; ms. */
  ms(): Promise<number>;
  close(): void;
}

export async function rawWsReference(context: BrowserContext, bytes: number): Promise<RawWs> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => server.once('listening', () => r()));
  const port = (server.address() as { port: number }).port;
  server.on('connection', (sock) => {
    let got = 0;
    sock.on('message', (d: Buffer) => {
      got += d.length;
      if (got >= bytes) sock.send('ok');
    });
  });
  const page = await context.newPage();
  return {
    ms: () =>
      page.evaluate(
        async ({ url, bytes }) => {
          const sock = new WebSocket(url);
          await new Promise((r) => (sock.onopen = r));
          const piece = new Uint8Array(64 << 10).map((_, i) => i & 0xff);
          const done = new Promise((r) => (sock.onmessage = r));
          const t0 = performance.now();
          for (let sent = 0; sent < bytes; sent += piece.length) {
            sock.send(piece);
            while (sock.bufferedAmount > 4 << 20) await new Promise((r) => setTimeout(r, 1));
          }
          await done;
          const ms = performance.now() - t0;
          sock.close();
          return ms;
        },
        { url: `ws://127.0.0.1:${port}`, bytes },
      ),
    close: () => server.close(),
  };
}

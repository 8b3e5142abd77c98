/**
 * Node 20 lacks two things libp2p 3.x uses (MESH.md §1.2, measured here): `Promise.withResolvers`
 * (ES2024; it-queue, mortice, yamux… crash at start-up without it) and a global `WebSocket` (the
 * @libp2p/websockets dialer calls `new WebSocket(uri)`). Call before creating a node in Node; a no-op
 * on Node ≥ 22 and in browsers.
 */
import { WebSocket as WsWebSocket } from 'ws';

export function installNodePolyfills(): void {
  if (typeof Promise.withResolvers !== 'function') {
    Object.defineProperty(Promise, 'withResolvers', {
      configurable: true,
      writable: true,
      value: function withResolvers<T>(this: PromiseConstructor) {
        let resolve!: (v: T | PromiseLike<T>) => void;
        let reject!: (e: unknown) => void;
        const promise = new this<T>((a, b) => {
          resolve = a;
          reject = b;
        });
        return { promise, resolve, reject };
      },
    });
  }
  if (typeof globalThis.WebSocket !== 'function') {
    Object.defineProperty(globalThis, 'WebSocket', {
      configurable: true,
      writable: true,
      value: WsWebSocket,
    });
  }
}

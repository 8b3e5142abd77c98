import { NoReceiverError, RemoteError, serializeError, type SerializedError } from './errors';
import type { ProtocolByTarget, Target } from './protocol';

/** The part of `chrome.runtime` messaging we use, so tests can pass WXT's fake browser or a fake. */
export interface RuntimeEndpoint {
  sendMessage(message: unknown): Promise<unknown>;
  onMessage: {
    addListener(
      cb: (message: unknown, sender: unknown, sendResponse: (response: unknown) => void) => boolean | void,
    ): void;
  };
}

interface Wire {
  inos: 1;
  to: Target;
  type: string;
  req: unknown;
}

type Envelope = { ok: true; res: unknown } | { ok: false; err: SerializedError };

type Proto<T extends Target> = ProtocolByTarget[T];
export type Req<T extends Target, K extends keyof Proto<T>> = Proto<T>[K]['req' & keyof Proto<T>[K]];
export type Res<T extends Target, K extends keyof Proto<T>> = Proto<T>[K]['res' & keyof Proto<T>[K]];

export type Handlers<T extends Target> = {
  [K in keyof Proto<T>]: (req: Req<T, K>, sender: unknown) => Res<T, K> | Promise<Res<T, K>>;
};

function isWire(m: unknown): m is Wire {
  return (
    typeof m === 'object' && m !== null && (m as Wire).inos === 1 && typeof (m as Wire).type === 'string'
  );
}

function isEnvelope(m: unknown): m is Envelope {
  return typeof m === 'object' && m !== null && typeof (m as Envelope).ok === 'boolean';
}

/** Sends a typed message to one context and unwraps its envelope; remote errors are rethrown here. */
export async function sendTo<T extends Target, K extends keyof Proto<T> & string>(
  runtime: RuntimeEndpoint,
  to: T,
  type: K,
  ...args: Req<T, K> extends undefined ? [req?: undefined] : [req: Req<T, K>]
): Promise<Res<T, K>> {
  const wire: Wire = { inos: 1, to, type, req: args[0] };
  let reply: unknown;
  try {
    reply = await runtime.sendMessage(wire);
  } catch (cause) {
    // Chrome: "Could not establish connection. Receiving end does not exist."
    throw new NoReceiverError(`${to}:${type}`, { cause });
  }
  if (!isEnvelope(reply)) throw new NoReceiverError(`${to}:${type}`);
  if (!reply.ok) throw new RemoteError(reply.err, `${to}:${type}`);
  return reply.res as Res<T, K>;
}

/**
 * Registers the handlers of one context. Must be called synchronously at start-up (a service worker
 * woken by a message only delivers it to listeners registered in its first turn). Messages for
 * other targets are left alone so their own context answers them.
 */
export function serve<T extends Target>(
  runtime: RuntimeEndpoint,
  me: T,
  handlers: Handlers<T>,
  gate: () => Promise<unknown> = () => Promise.resolve(),
): void {
  runtime.onMessage.addListener((message, sender, sendResponse) => {
    if (!isWire(message) || message.to !== me) return false;
    const handler = (handlers as Record<string, ((req: unknown, sender: unknown) => unknown) | undefined>)[
      message.type
    ];
    if (!handler) {
      sendResponse({
        ok: false,
        err: { name: 'UnknownMessage', message: `unknown message type "${message.type}" for ${me}` },
      } satisfies Envelope);
      return false;
    }
    gate()
      .then(() => handler(message.req, sender))
      .then(
        (res) => sendResponse({ ok: true, res } satisfies Envelope),
        (err: unknown) => sendResponse({ ok: false, err: serializeError(err) } satisfies Envelope),
      );
    return true;
  });
}

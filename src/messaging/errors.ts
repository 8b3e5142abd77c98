/**
 * Errors cross context boundaries as explicit envelopes (`{ ok: false, err }`), never as thrown
 * structured-clone failures or silent `undefined` responses.
 */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
}

/** An error raised in another extension context, rebuilt on the caller's side with the original name. */
export class RemoteError extends Error {
  readonly code: string | undefined;
  readonly remoteName: string;
  constructor(
    err: SerializedError,
    readonly messageType: string,
  ) {
    super(`${messageType}: ${err.message}`);
    this.name = 'RemoteError';
    this.remoteName = err.name;
    this.code = err.code;
  }
}

/** No context answered: the receiver does not exist (yet), or it does not handle this message. */
export class NoReceiverError extends Error {
  constructor(
    readonly messageType: string,
    options?: { cause?: unknown },
  ) {
    super(`${messageType}: no receiver answered`, options);
    this.name = 'NoReceiverError';
  }
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(err) };
}

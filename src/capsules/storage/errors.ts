/**
 * Chunk store errors. StoreFullError and ChunkNotFoundError are the requester's to handle (a chunk
 * too big for this store, an address it does not hold), so they are BadInputErrors and the engine
 * reports them as such. ChunkCorruptError is the host's fault (its disk or someone with access to it),
 * so it is a plain Error and the engine reports an internal error.
 */
import { BadInputError } from '../capsule.ts';

export class StoreFullError extends BadInputError {
  constructor(
    readonly neededBytes: number,
    readonly quotaBytes: number,
    detail = '',
  ) {
    super(
      `chunk store full: ${neededBytes} bytes must be stored but the quota is ${quotaBytes} bytes${detail ? ` (${detail})` : ''}`,
    );
    this.name = 'StoreFullError';
  }
}

export class ChunkNotFoundError extends BadInputError {
  constructor(
    readonly address: string,
    detail = '',
  ) {
    super(`no chunk with address ${address} in this store${detail ? ` (${detail})` : ''}`);
    this.name = 'ChunkNotFoundError';
  }
}

export class ChunkCorruptError extends Error {
  constructor(
    readonly address: string,
    why: string,
    options?: { cause?: unknown },
  ) {
    super(`chunk ${address} is corrupt: ${why}`, options);
    this.name = 'ChunkCorruptError';
  }
}

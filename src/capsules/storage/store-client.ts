/**
 * A pool worker's end of the chunk store owner's port (store-owner.ts): a StoreCore and a
 * ChunkFanout over one MessagePort, and `remoteChunkStore`, the `services.chunkStore` a worker hands
 * the storage capsule. The store is opened (the key fetched) on the first job that uses it.
 */
import { BadInputError } from '../capsule.ts';
import type { ChunkMeta } from './backends.ts';
import {
  ChunkStore,
  type ChunkFanout,
  type FanoutTask,
  type StoreCore,
  type StoreStats,
} from './chunk-store.ts';
import type { StoreHello, StoreReply, StoreRequest } from './store-owner.ts';

type Body = StoreRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** Requests over the port, answered in any order by id. */
class PortRpc {
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(private readonly port: MessagePort) {
    port.onmessage = (e: MessageEvent<StoreReply>) => {
      const r = e.data;
      const p = this.pending.get(r?.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.ok) p.resolve(r.value);
      else {
        const err = r.error.badInput ? new BadInputError(r.error.message) : new Error(r.error.message);
        err.name = r.error.name;
        p.reject(err);
      }
    };
  }

  call<T>(body: Body, transfer: Transferable[] = []): Promise<T> {
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.port.postMessage({ ...body, id } as StoreRequest, transfer);
    });
  }
}

export class RemoteStoreCore implements StoreCore, ChunkFanout {
  constructor(
    private readonly rpc: PortRpc,
    readonly quotaBytes: number,
    private readonly sab: SharedArrayBuffer | null,
  ) {}

  meta(address: string): Promise<ChunkMeta | undefined> {
    return this.rpc.call({ op: 'meta', address });
  }

  refresh(address: string): Promise<boolean> {
    return this.rpc.call({ op: 'refresh', address });
  }

  commit(
    address: string,
    sealed: Uint8Array,
    entry: { kind: ChunkMeta['kind']; size: number },
    protect: readonly string[],
  ): Promise<void> {
    // `sealed` is a fresh array of its own (sealRecord's output): move it, do not copy it.
    const own = sealed.byteOffset === 0 && sealed.byteLength === sealed.buffer.byteLength;
    const bytes = own && sealed.buffer instanceof ArrayBuffer ? sealed : sealed.slice();
    return this.rpc.call({ op: 'commit', address, sealed: bytes, entry, protect: [...protect] }, [
      bytes.buffer as ArrayBuffer,
    ]);
  }

  load(address: string): Promise<{ meta: ChunkMeta; file: Uint8Array | undefined } | undefined> {
    return this.rpc.call({ op: 'load', address });
  }

  remove(address: string): Promise<boolean> {
    return this.rpc.call({ op: 'remove', address });
  }

  stats(): Promise<StoreStats> {
    return this.rpc.call({ op: 'stats' });
  }

  async close(): Promise<void> {}

  async begin(
    bytes: Uint8Array,
    pieceBytes: number,
    pieces: number,
    quality: number,
  ): Promise<FanoutTask | null> {
    // Helpers read the pieces from the shared buffer: only a blob that lives there can be shared.
    if (!this.sab || bytes.buffer !== this.sab) return null;
    const task = await this.rpc.call<number>({
      op: 'fan-begin',
      offset: bytes.byteOffset,
      length: bytes.length,
      pieceBytes,
      pieces,
      quality,
    });
    if (task < 0) return null;
    return {
      claim: () => this.rpc.call<number>({ op: 'fan-claim', task }),
      wait: (ms) => this.rpc.call({ op: 'fan-wait', task, ms }),
      end: () => this.rpc.call<void>({ op: 'fan-end', task }),
    };
  }
}

/** Opens the owner's store over `port` (fetches the key and the quota). */
export async function connectChunkStore(
  port: MessagePort,
  sab: SharedArrayBuffer | null,
): Promise<ChunkStore> {
  const rpc = new PortRpc(port);
  const hello = await rpc.call<StoreHello>({ op: 'hello' });
  const core = new RemoteStoreCore(rpc, hello.quotaBytes, sab);
  return ChunkStore.over({ core, key: hello.key, fanout: core });
}

/** What the storage capsule calls on `services.chunkStore`. */
export type ChunkStoreApi = Pick<ChunkStore, 'putBlob' | 'getBlob' | 'hasBlob' | 'delete'>;

/** `services.chunkStore` for a pool worker: connects on first use, retries after a failed connect. */
export function remoteChunkStore(port: MessagePort, sab: SharedArrayBuffer | null): ChunkStoreApi {
  let store: Promise<ChunkStore> | null = null;
  const get = () => {
    store ??= connectChunkStore(port, sab).catch((err: unknown) => {
      store = null;
      throw err;
    });
    return store;
  };
  return {
    putBlob: async (...a) => (await get()).putBlob(...a),
    getBlob: async (...a) => (await get()).getBlob(...a),
    hasBlob: async (...a) => (await get()).hasBlob(...a),
    delete: async (...a) => (await get()).delete(...a),
  };
}

/**
 * The market's chunks (inputs of jobs submitted here, outputs of paid jobs run here) kept in the
 * document's one chunk store (ChunkStoreOwner) instead of a map of their own: one index, one quota,
 * and what the mesh serves is exactly what the store holds.
 *
 * `put` must answer at once (the addresses go into a signed frame), so each piece is hashed here and
 * kept in memory only until its `storage.put` job (on a worker) has stored it; then it is served from
 * the store like any other chunk. Each piece is pinned for `holdMs` (the contributor forgets an
 * unpaid result after an hour, the requester drops its inputs when the job ends): eviction cannot
 * take a requester's outputs before they were fetched or the deadline passed. `drop` ends the pin;
 * the chunk then ages out of the store by LRU like any other.
 *
 * Without a store (no owner yet, or none in this build) the pieces stay in memory until dropped,
 * as MemoryChunks did.
 */
import { blake3Digest } from '../capsules/crypto/hash';
import type { ChunkStoreOwner } from '../capsules/storage/store-owner';
import { toHex } from '../mesh/protocol/chunk-exchange';
import { CHUNK_BYTES, type ChunkHolder } from '../trade/chunk-store';

/** How long a held chunk is pinned at most (the contributor's unpaid-result horizon). */
export const HOLD_MS = 60 * 60_000;

export class HeldChunks implements ChunkHolder {
  /** Pieces not (yet) in the store: hex → bytes. */
  readonly #pending = new Map<string, Uint8Array>();
  /** Pieces whose hold in the store was taken, with how many times (one `drop` each). */
  readonly #held = new Map<string, number>();
  /** Stores in flight, so `drop` right after `put` still ends the hold it makes. */
  readonly #storing = new Map<string, Promise<boolean>>();

  constructor(
    private readonly owner: () => ChunkStoreOwner | null,
    private readonly log?: (msg: string, err?: unknown) => void,
    private readonly holdMs = HOLD_MS,
  ) {}

  /** Pending bytes first (not stored yet), then the store. */
  get(hash: Uint8Array): Uint8Array | undefined | Promise<Uint8Array | undefined> {
    const key = toHex(hash);
    const mem = this.#pending.get(key);
    if (mem !== undefined) return mem;
    return this.owner()?.readChunk(key) ?? undefined;
  }

  /** Whether we hold it, without reading it (a `have` answer). */
  async has(hash: Uint8Array): Promise<boolean> {
    const key = toHex(hash);
    if (this.#pending.has(key)) return true;
    const owner = this.owner();
    return owner !== null && (await owner.hasChunk(key).catch(() => false));
  }

  put(bytes: Uint8Array): Uint8Array[] {
    const refs: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; at += CHUNK_BYTES) {
      const piece = bytes.subarray(at, Math.min(bytes.length, at + CHUNK_BYTES));
      const h = blake3Digest(piece, () => {});
      const key = toHex(h);
      refs.push(h);
      this.#pending.set(key, piece);
      this.#store(key, piece);
    }
    return refs;
  }

  drop(refs: readonly Uint8Array[]): void {
    for (const r of refs) {
      const key = toHex(r);
      this.#pending.delete(key);
      const storing = this.#storing.get(key);
      if (storing !== undefined) void storing.then((held) => held && this.#release(key));
      else this.#release(key);
    }
  }

  /** Pieces still only in memory (tests). */
  get pending(): number {
    return this.#pending.size;
  }

  #store(key: string, piece: Uint8Array): void {
    const owner = this.owner();
    if (owner === null) return;
    const done = owner
      .putChunk(piece, { untilMs: Date.now() + this.holdMs })
      .then((address) => {
        if (address !== key) throw new Error(`the store put ${key} at ${address}`);
        this.#held.set(key, (this.#held.get(key) ?? 0) + 1);
        this.#pending.delete(key);
        return true;
      })
      .catch((err: unknown) => {
        // Still served from memory until dropped.
        this.log?.(`chunk ${key.slice(0, 16)}… not stored; kept in memory`, err);
        return false;
      })
      .finally(() => {
        if (this.#storing.get(key) === done) this.#storing.delete(key);
      });
    this.#storing.set(key, done);
  }

  #release(key: string): void {
    const n = this.#held.get(key) ?? 0;
    if (n <= 0) return;
    if (n === 1) this.#held.delete(key);
    else this.#held.set(key, n - 1);
    this.owner()?.release(key);
  }
}

/**
 * The single owner of the extension's chunk store, in the offscreen document. Pool workers run the
 * storage capsule's CPU work (BLAKE3, brotli, ChaCha20-Poly1305) themselves and reach the owner for
 * the rest — the index, the files, the quota and eviction — through a MessagePort each (given to the
 * worker in its init message; store-client.ts is the other end).
 *
 * Why a MessagePort and not the SAB job bus: the store's I/O (OPFS, IndexedDB) is asynchronous and
 * lives in the document, and a job awaiting it leaves its worker's event loop free, so a port message
 * wakes it without any polling; sealed chunks (up to 16 MiB) move as transferred ArrayBuffers instead
 * of through a 64 KiB ring; and runtime messaging (chrome.runtime) is never involved.
 *
 * The owner serialises every mutation (one LocalStoreCore), so concurrent puts of the same chunk from
 * several workers store it once. A worker that dies mid-put loses nothing: a chunk is committed in
 * one owner-side step (file, then index entry) or not at all, and the owner's per-blob state (fanout
 * tasks) expires when its worker stops talking.
 *
 * Fanout: a worker storing a blob of several chunks opens a task; the owner submits `storage.put`
 * jobs of single pieces (copied from the shared buffer by the engine) to idle workers, while the
 * opening worker claims pieces too, so a blob never waits on a worker that is not free.
 */
import { BadInputError } from '../capsule.ts';
import type { ChunkMeta } from './backends.ts';
import { ChunkCorruptError, ChunkNotFoundError } from './errors.ts';
import {
  ChunkStore,
  parseAddress,
  type LocalStoreCore,
  type ReadTimings,
  type StoreStats,
} from './chunk-store.ts';

/** Worker → owner. */
export type StoreRequest = { id: number } & (
  | { op: 'hello' }
  | { op: 'meta' | 'refresh' | 'load' | 'remove'; address: string }
  | {
      op: 'commit';
      address: string;
      sealed: Uint8Array;
      entry: { kind: ChunkMeta['kind']; size: number };
      protect: string[];
    }
  | { op: 'stats' }
  | { op: 'fan-begin'; offset: number; length: number; pieceBytes: number; pieces: number; quality: number }
  | { op: 'fan-claim' | 'fan-end'; task: number }
  | { op: 'fan-wait'; task: number; ms: number }
);

/** Owner → worker. */
export type StoreReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; message: string; badInput: boolean } };

export interface StoreHello {
  key: Uint8Array;
  quotaBytes: number;
}

/** How the owner reaches the engine: the document's JobEngine and pool, adapted by the host. */
export interface FanoutHelpers {
  /** The shared buffer the workers' job inputs live in. */
  sab(): SharedArrayBuffer | null;
  /** Workers that would take a job now (running, not busy, nothing queued ahead). */
  idle(): number;
  /** Runs `storage.put` of one piece on some worker. */
  submit(
    input: Uint8Array,
    params: string,
    signal: AbortSignal,
  ): Promise<{ status: string; output: Uint8Array; worker: number; error: string }>;
  /**
   * Runs `storage.get` of one stored data chunk on some worker (decrypted and re-hashed there, off
   * this thread), or returns null when no worker can take it now (the pool is paused or not started):
   * the owner then reads it here.
   */
  read?(
    address: string,
    signal: AbortSignal,
  ): Promise<{ status: string; output: Uint8Array; worker: number; error: string }> | null;
}

export interface StoreOwnerOptions {
  /** Opens the store; called once, on the first request. */
  open: () => Promise<{ core: LocalStoreCore; key: Uint8Array }>;
  helpers?: FanoutHelpers;
  /** A fanout task whose worker sends nothing for this long is ended (default 120 s). */
  taskTtlMs?: number;
  log?: (msg: string, err?: unknown) => void;
}

const FREE = 0;
const OPENER = 1;
const HELPER = 2;

interface Task {
  id: number;
  parentWorker: number;
  offset: number;
  length: number;
  pieceBytes: number;
  pieces: number;
  quality: number;
  /** Per piece: FREE, OPENER (claimed by the opening worker), HELPER (a helper job has it). */
  state: Uint8Array;
  addresses: Array<string | null>;
  running: Map<number, AbortController>;
  workers: Set<number>;
  pinned: string[];
  waiters: Array<() => void>;
  timer: ReturnType<typeof setTimeout> | null;
}

/** What the last finished fanout did (tests, diagnostics). */
export interface FanoutReport {
  pieces: number;
  /** Pieces stored by helper jobs. */
  helperPieces: number;
  /** Worker indexes that stored pieces, the opening worker included. */
  workers: number[];
}

/** What a peer-facing read did (tests, diagnostics): on a worker, here, or not found. */
export interface ServeCounts {
  onWorker: number;
  here: number;
  missing: number;
}

export class ChunkStoreOwner {
  private opened: Promise<{ core: LocalStoreCore; key: Uint8Array }> | null = null;
  private readonly ports = new Map<number, MessagePort>();
  private readonly tasks = new Map<number, Task>();
  private taskSeq = 0;
  private closed = false;
  lastFanout: FanoutReport | null = null;
  /** Pins with a lifetime (`hold`): address → expiry timers, one per hold. */
  private readonly holds = new Map<string, Array<ReturnType<typeof setTimeout>>>();
  readonly served: ServeCounts = { onWorker: 0, here: 0, missing: 0 };
  /** The phases of the reads done here (readChunk), ms summed. */
  readonly readTimings: ReadTimings = { reads: 0, loadMs: 0, decryptMs: 0, decompressMs: 0, hashMs: 0 };

  constructor(private readonly opts: StoreOwnerOptions) {}

  /** Open fanout tasks (0 once every blob finished or its worker went quiet). */
  get openTasks(): number {
    return this.tasks.size;
  }

  /** The store itself (opens it on first use). */
  core(): Promise<LocalStoreCore> {
    return this.store().then((s) => s.core);
  }

  /**
   * A port for worker `index`: hand it to the worker (transferred). A newer port for the same index
   * (a replaced worker) closes the older one.
   */
  connect(index: number): MessagePort {
    const { port1, port2 } = new MessageChannel();
    this.ports.get(index)?.close();
    this.ports.set(index, port1);
    port1.onmessage = (e: MessageEvent<StoreRequest>) => void this.serve(index, port1, e.data);
    return port2;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timers of this.holds.values()) for (const t of timers) clearTimeout(t);
    this.holds.clear();
    for (const t of [...this.tasks.values()]) this.endTask(t);
    for (const p of this.ports.values()) p.close();
    this.ports.clear();
    if (this.opened) await (await this.opened.catch(() => null))?.core.close();
  }

  // ---- the mesh and the market: serving chunks to peers, holding chunks for a job ----

  /**
   * A chunk's verified content for a peer, or undefined when this store does not hold it. The index
   * is asked first, on every read: a chunk removed (by a worker's storage.delete, eviction or
   * `drop`) is unservable from that moment; nothing decrypted is cached. A data chunk is decrypted
   * and re-hashed by a `storage.get` job on a worker when the pool runs; a manifest chunk (a few KiB,
   * and storage.get would assemble its blob) or a paused pool: here.
   */
  async readChunk(address: string): Promise<Uint8Array | undefined> {
    const a = parseAddress(address);
    const { core, key } = await this.store();
    // Without a worker path the read below asks the index itself: one IndexedDB transaction fewer.
    const read = this.opts.helpers?.read?.bind(this.opts.helpers);
    const meta = read ? await core.meta(a) : null;
    if (meta === undefined) {
      this.served.missing++;
      return undefined;
    }
    const job = read && meta?.kind === 'data' ? read(a, new AbortController().signal) : null;
    if (job) {
      const r = await job;
      if (r.status === 'ok') {
        this.served.onWorker++;
        return r.output;
      }
      // Removed meanwhile, or damaged (the worker's read removed it): not ours to serve.
      if (!(await core.meta(a))) {
        this.served.missing++;
        return undefined;
      }
      this.opts.log?.(`chunk ${a} not read on a worker (${r.status}: ${r.error}); reading it here`);
    }
    try {
      const bytes = await ChunkStore.over({ core, key, readTimings: this.readTimings }).get(a);
      this.served.here++;
      return bytes;
    } catch (err) {
      // Not found, or damaged (removed by the read): not ours to serve. Anything else (brotli not
      // loadable here) leaves the chunk in place, and is said.
      if (!(err instanceof ChunkNotFoundError || err instanceof ChunkCorruptError))
        this.opts.log?.(`chunk ${a} held but not readable here`, err);
      this.served.missing++;
      return undefined;
    }
  }

  /** Whether the store holds `address` (index only). */
  async hasChunk(address: string): Promise<boolean> {
    const { core } = await this.store();
    return (await core.meta(parseAddress(address))) !== undefined;
  }

  /**
   * Stores one chunk (at most 16 MiB, stored as itself: its address is the BLAKE3 of `bytes`) and
   * returns its address. Sealing runs in a `storage.put` job on a worker when the pool runs (brotli
   * quality 1 unless `quality` is given), else here (uncompressed unless `quality` is given). With
   * `untilMs`, the chunk is pinned (no eviction) until then or until `release`: a job's inputs while
   * it runs, a paid job's outputs until its requester fetched them or gave up.
   */
  async putChunk(bytes: Uint8Array, options: { untilMs?: number; quality?: number } = {}): Promise<string> {
    const { core, key } = await this.store();
    let address: string | null = null;
    const helpers = this.opts.helpers;
    if (helpers && helpers.sab() !== null && helpers.idle() > 0) {
      const r = await helpers.submit(
        bytes,
        JSON.stringify({ quality: options.quality ?? 1, chunkSize: Math.max(4096, bytes.length) }),
        new AbortController().signal,
      );
      if (r.status === 'ok' && r.output.length === 32)
        address = Array.from(r.output, (b) => b.toString(16).padStart(2, '0')).join('');
      else this.opts.log?.(`a chunk was not stored on a worker (${r.status}: ${r.error}); storing it here`);
    }
    address ??= await ChunkStore.over({ core, key }).put(bytes, { quality: options.quality ?? null });
    if (options.untilMs !== undefined) this.hold(core, address, options.untilMs);
    return address;
  }

  /** Ends the oldest hold on `address` (its job is done); the chunk stays, as any other, until evicted. */
  release(address: string): void {
    const timers = this.holds.get(address);
    const t = timers?.shift();
    if (t === undefined) return;
    clearTimeout(t);
    if (timers?.length === 0) this.holds.delete(address);
    void this.core().then((core) => core.unpin(address));
  }

  /** Addresses held now (tests). */
  heldCount(): number {
    return this.holds.size;
  }

  private hold(core: LocalStoreCore, address: string, untilMs: number): void {
    core.pin(address);
    const timers = this.holds.get(address) ?? [];
    const timer = setTimeout(
      () => {
        const list = this.holds.get(address);
        const i = list?.indexOf(timer) ?? -1;
        if (list === undefined || i < 0) return;
        list.splice(i, 1);
        if (list.length === 0) this.holds.delete(address);
        core.unpin(address);
      },
      Math.max(0, Math.min(untilMs - Date.now(), 2 ** 31 - 1)),
    );
    timers.push(timer);
    this.holds.set(address, timers);
  }

  private store(): Promise<{ core: LocalStoreCore; key: Uint8Array }> {
    this.opened ??= this.opts.open();
    return this.opened;
  }

  private async serve(worker: number, port: MessagePort, req: StoreRequest): Promise<void> {
    if (!req || typeof req.id !== 'number') return;
    let reply: StoreReply;
    try {
      const value = await this.handle(worker, req);
      reply = { id: req.id, ok: true, value };
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      reply = {
        id: req.id,
        ok: false,
        error: { name: e.name, message: e.message, badInput: err instanceof BadInputError },
      };
    }
    const transfer =
      reply.ok && req.op === 'load' && reply.value && (reply.value as { file?: Uint8Array }).file
        ? [(reply.value as { file: Uint8Array }).file.buffer as ArrayBuffer]
        : [];
    try {
      port.postMessage(reply, transfer);
    } catch (err) {
      this.opts.log?.('chunk store reply not delivered', err);
    }
  }

  private async handle(worker: number, req: StoreRequest): Promise<unknown> {
    if (this.closed) throw new Error('the chunk store owner is closed');
    const { core, key } = await this.store();
    switch (req.op) {
      case 'hello':
        return { key, quotaBytes: core.quotaBytes } satisfies StoreHello;
      case 'meta':
        return core.meta(req.address);
      case 'refresh':
        return core.refresh(req.address);
      case 'load':
        return core.load(req.address);
      case 'remove':
        return core.remove(req.address);
      case 'stats':
        return core.stats() satisfies Promise<StoreStats>;
      case 'commit':
        return core.commit(req.address, req.sealed, req.entry, req.protect);
      case 'fan-begin':
        return this.begin(worker, req);
      case 'fan-claim':
        return this.claim(this.task(req.task));
      case 'fan-wait':
        return this.wait(this.task(req.task), req.ms);
      case 'fan-end': {
        const t = this.tasks.get(req.task);
        if (t) this.endTask(t);
        return null;
      }
      default:
        throw new Error(`unknown chunk store request ${JSON.stringify((req as { op?: unknown }).op)}`);
    }
  }

  private task(id: number): Task {
    const t = this.tasks.get(id);
    if (!t) throw new Error(`no fanout task ${id} (it ended or expired)`);
    this.touch(t);
    return t;
  }

  private touch(t: Task): void {
    if (t.timer) clearTimeout(t.timer);
    t.timer = setTimeout(() => {
      this.opts.log?.(`fanout task ${t.id} expired: its worker went quiet`);
      this.endTask(t);
    }, this.opts.taskTtlMs ?? 120_000);
  }

  private begin(worker: number, req: Extract<StoreRequest, { op: 'fan-begin' }>): number {
    const helpers = this.opts.helpers;
    const sab = helpers?.sab();
    if (!helpers || !sab) return -1;
    const { offset, length, pieceBytes, pieces, quality } = req;
    const valid =
      [offset, length, pieceBytes, pieces, quality].every(Number.isSafeInteger) &&
      offset >= 0 &&
      offset + length <= sab.byteLength &&
      pieceBytes > 0 &&
      pieces === Math.ceil(length / pieceBytes) &&
      pieces >= 2;
    if (!valid) throw new BadInputError('fanout request does not describe a blob in the shared buffer');
    if (helpers.idle() <= 0) return -1;
    const t: Task = {
      id: ++this.taskSeq,
      parentWorker: worker,
      offset,
      length,
      pieceBytes,
      pieces,
      quality,
      state: new Uint8Array(pieces),
      addresses: Array.from({ length: pieces }, () => null),
      running: new Map(),
      workers: new Set(),
      pinned: [],
      waiters: [],
      timer: null,
    };
    this.tasks.set(t.id, t);
    this.touch(t);
    this.feed(t);
    return t.id;
  }

  /** Starts helper jobs on unclaimed pieces while workers are idle. */
  private feed(t: Task): void {
    const helpers = this.opts.helpers;
    const sab = helpers?.sab();
    if (!helpers || !sab || !this.tasks.has(t.id)) return;
    while (helpers.idle() > 0) {
      const i = this.takeFromEnd(t);
      if (i < 0) return;
      const abort = new AbortController();
      t.running.set(i, abort);
      const start = t.offset + i * t.pieceBytes;
      const len = Math.min(t.pieceBytes, t.length - i * t.pieceBytes);
      const params = JSON.stringify({ quality: t.quality, chunkSize: t.pieceBytes });
      void helpers
        .submit(new Uint8Array(sab, start, len), params, abort.signal)
        .then((r) => this.helped(t, i, r))
        .catch((err: unknown) =>
          this.helped(t, i, {
            status: 'internalError',
            output: new Uint8Array(0),
            worker: -1,
            error: String(err),
          }),
        );
    }
  }

  /** Helpers take the highest free piece, the opener the lowest: they meet in the middle. */
  private takeFromEnd(t: Task): number {
    for (let i = t.pieces - 1; i >= 0; i--)
      if (t.state[i] === FREE) {
        t.state[i] = HELPER;
        return i;
      }
    return -1;
  }

  private claim(t: Task): number {
    for (let i = 0; i < t.pieces; i++)
      if (t.state[i] === FREE) {
        t.state[i] = OPENER;
        t.workers.add(t.parentWorker);
        return i;
      }
    return -1;
  }

  private async helped(
    t: Task,
    i: number,
    r: { status: string; output: Uint8Array; worker: number; error: string },
  ): Promise<void> {
    t.running.delete(i);
    if (!this.tasks.has(t.id)) return;
    if (r.status === 'ok' && r.output.length === 32) {
      const address = Array.from(r.output, (b) => b.toString(16).padStart(2, '0')).join('');
      t.addresses[i] = address;
      t.workers.add(r.worker);
      // Kept from eviction until the blob's manifest is written (the opener protects its own).
      const core = await this.core();
      core.pin(address);
      t.pinned.push(address);
    } else {
      // The piece is free again: the opener (or another helper) stores it.
      t.state[i] = FREE;
      if (r.status !== 'cancelled') this.opts.log?.(`fanout piece ${i} failed on a helper: ${r.error}`);
    }
    for (const w of t.waiters.splice(0)) w();
    this.feed(t);
  }

  private wait(t: Task, ms: number): Promise<{ addresses: Array<string | null>; pending: number }> {
    const answer = () => ({ addresses: [...t.addresses], pending: t.running.size });
    if (t.running.size === 0) return Promise.resolve(answer());
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve(answer());
      };
      const timer = setTimeout(done, Math.max(0, Math.min(ms, 1_000)));
      t.waiters.push(done);
    });
  }

  private endTask(t: Task): void {
    if (!this.tasks.delete(t.id)) return;
    if (t.timer) clearTimeout(t.timer);
    for (const a of t.running.values()) a.abort();
    for (const w of t.waiters.splice(0)) w();
    const pinned = t.pinned.splice(0);
    if (pinned.length)
      void this.core().then((core) => {
        for (const a of pinned) core.unpin(a);
      });
    this.lastFanout = {
      pieces: t.pieces,
      helperPieces: t.addresses.filter((a) => a !== null).length,
      workers: [...t.workers].sort((a, b) => a - b),
    };
  }
}

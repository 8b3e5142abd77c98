/** The page's handle on one role worker: typed calls over role-protocol.ts, one reply per call. */
import type { RoleCmd, RoleProtocol, RoleReply, RoleRequest } from './role-protocol.ts';

/** A role worker reported an error (its name and message are kept). */
export class RoleWorkerError extends Error {
  override readonly name = 'RoleWorkerError';
  constructor(
    readonly worker: string,
    readonly remoteName: string,
    message: string,
  ) {
    super(`role worker ${worker}: ${remoteName}: ${message}`);
  }
}

const DEFAULT_TIMEOUT_MS = 120_000;

export class RoleClient {
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(
    readonly name: string,
    private readonly worker: Worker,
  ) {
    worker.onmessage = (e: MessageEvent<RoleReply>) => {
      const p = this.pending.get(e.data.id);
      if (!p) return;
      this.pending.delete(e.data.id);
      if (e.data.ok) p.resolve(e.data.res);
      else p.reject(new RoleWorkerError(name, e.data.err.name, e.data.err.message));
    };
    worker.onerror = (e: ErrorEvent) => this.failAll(new Error(`role worker ${name} failed: ${e.message}`));
  }

  /** Rejects after `timeoutMs`, so a hung worker fails the check instead of hanging the page. */
  call<K extends RoleCmd>(
    cmd: K,
    req: RoleProtocol[K]['req'],
    transfer: Transferable[] = [],
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<RoleProtocol[K]['res']> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`role worker ${this.name}: ${cmd} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as RoleProtocol[K]['res']);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.worker.postMessage({ id, cmd, req } satisfies RoleRequest<K>, transfer);
    });
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  terminate(): void {
    this.worker.terminate();
    this.failAll(new Error(`role worker ${this.name} was terminated`));
  }
}

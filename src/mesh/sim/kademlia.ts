/**
 * A model of the Kademlia lookup that kad-dht runs on /inos/kad/1.0.0: 256-bit ids, XOR distance,
 * k-buckets by common-prefix length (k = 20, first-seen kept, as in the paper and kad-dht's
 * default kBucketSize), and the iterative lookup with α = 3 queries in flight: always ask the
 * closest not-yet-asked peer, stop when the k closest known peers have all answered or failed.
 * Used by the simulator for findProviders/provide and to measure lookup hops.
 */
export const K = 20;
export const ALPHA = 3;

export type KadId = Uint8Array;

/** Distance on the first 48 bits (exact in a double); ties below that are broken by full compare. */
export function distance48(a: KadId, b: KadId): number {
  let d = 0;
  for (let i = 0; i < 6; i++) d = d * 256 + (((a[i] as number) ^ (b[i] as number)) & 0xff);
  return d;
}

export function compareDistance(target: KadId, a: KadId, b: KadId): number {
  const da = distance48(a, target);
  const db = distance48(b, target);
  if (da !== db) return da - db;
  for (let i = 6; i < target.length; i++) {
    const x = ((a[i] as number) ^ (target[i] as number)) - ((b[i] as number) ^ (target[i] as number));
    if (x !== 0) return x;
  }
  return 0;
}

export function commonPrefixLength(a: KadId, b: KadId): number {
  for (let i = 0; i < a.length; i++) {
    const x = ((a[i] as number) ^ (b[i] as number)) & 0xff;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return a.length * 8;
}

export interface Contact {
  peer: string;
  id: KadId;
}

export class RoutingTable {
  private readonly buckets: Contact[][] = [];

  constructor(readonly self: Contact) {}

  /** Adds a contact unless its bucket is full (first-seen wins) or it is us. */
  add(c: Contact): boolean {
    if (c.peer === this.self.peer) return false;
    const i = Math.min(commonPrefixLength(this.self.id, c.id), 255);
    const b = (this.buckets[i] ??= []);
    if (b.some((x) => x.peer === c.peer) || b.length >= K) return false;
    b.push(c);
    return true;
  }

  remove(peer: string): void {
    for (const b of this.buckets) {
      if (b === undefined) continue;
      const i = b.findIndex((x) => x.peer === peer);
      if (i >= 0) b.splice(i, 1);
    }
  }

  closest(target: KadId, n: number, exclude?: (peer: string) => boolean): Contact[] {
    const all: { c: Contact; d: number }[] = [];
    for (const b of this.buckets)
      if (b !== undefined)
        for (const c of b) if (!exclude?.(c.peer)) all.push({ c, d: distance48(c.id, target) });
    all.sort((a, b) => a.d - b.d || compareDistance(target, a.c.id, b.c.id));
    const out: Contact[] = [];
    for (let i = 0; i < n && i < all.length; i++) out.push((all[i] as { c: Contact }).c);
    return out;
  }

  get size(): number {
    let n = 0;
    for (const b of this.buckets) n += b?.length ?? 0;
    return n;
  }
}

export interface QueryAnswer {
  closer: Contact[];
  providers: string[];
}

export interface LookupResult {
  /** The k closest peers that answered, closest first. */
  closest: Contact[];
  providers: string[];
  /** 1 + the discovery depth of the closest peer that answered (1 = it was in our own table). */
  hops: number;
  queries: number;
  failures: number;
}

export interface LookupOptions {
  /** Ask one peer; rejects on timeout or when unreachable. */
  query: (peer: Contact) => Promise<QueryAnswer>;
  /** Peers we refuse to contact (banned). */
  skip?: (peer: string) => boolean;
  /** Stop once this many providers are known (findProviders' limit). */
  providerLimit?: number;
}

/** The iterative α-parallel lookup from `table` towards `target`. */
export function lookup(table: RoutingTable, target: KadId, o: LookupOptions): Promise<LookupResult> {
  interface Cand {
    c: Contact;
    d: number;
    depth: number;
    state: 'new' | 'asking' | 'done' | 'failed';
  }
  const cands = new Map<string, Cand>();
  const providers = new Set<string>();
  const order: Cand[] = [];
  const addCand = (c: Contact, depth: number): void => {
    if (c.peer === table.self.peer || cands.has(c.peer) || o.skip?.(c.peer)) return;
    const x: Cand = { c, d: distance48(c.id, target), depth, state: 'new' };
    cands.set(c.peer, x);
    order.push(x);
  };
  for (const c of table.closest(target, K, o.skip)) addCand(c, 0);
  let inFlight = 0;
  let queries = 0;
  let failures = 0;

  return new Promise((resolve) => {
    const finish = (): void => {
      const closest = order.filter((x) => x.state === 'done').slice(0, K);
      const best = closest[0];
      resolve({
        closest: closest.map((x) => x.c),
        providers: [...providers],
        hops: best === undefined ? 0 : best.depth + 1,
        queries,
        failures,
      });
    };
    const step = (): void => {
      order.sort((a, b) => a.d - b.d || compareDistance(target, a.c.id, b.c.id));
      // The k closest candidates that have not failed; ask the closest new ones among them.
      const window: Cand[] = [];
      for (const x of order) {
        if (x.state === 'failed') continue;
        window.push(x);
        if (window.length >= K) break;
      }
      const enough = o.providerLimit !== undefined && providers.size >= o.providerLimit;
      if (!enough) {
        for (const x of window) {
          if (inFlight >= ALPHA) break;
          if (x.state !== 'new') continue;
          x.state = 'asking';
          inFlight++;
          queries++;
          o.query(x.c).then(
            (ans) => {
              inFlight--;
              x.state = 'done';
              for (const p of ans.providers) providers.add(p);
              for (const c of ans.closer) addCand(c, x.depth + 1);
              step();
            },
            () => {
              inFlight--;
              x.state = 'failed';
              failures++;
              step();
            },
          );
        }
      }
      if (inFlight === 0) finish();
    };
    step();
  });
}

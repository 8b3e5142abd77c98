/**
 * One job's results and its quorum (BOINC's validator, transport-agnostic): results from distinct
 * identities are grouped by equal output; the first group of `quorum` (default 2) members decides,
 * its members are valid and every other result is invalid (the minority). Deterministic capsules
 * compare output hashes; float outputs (GPU) compare element-wise within a relative `tolerance`.
 * A disagreement asks for one more run, up to `maxResults`; after that the unit fails (no credit).
 */
export type Output = { hash: string } | { values: readonly number[] };

export interface WorkUnitOptions {
  quorum?: number;
  /** For `values` outputs: |a − b| ≤ tolerance × max(1, |a|, |b|) element-wise; default 0 (exact). */
  tolerance?: number;
  maxResults?: number;
}

export type UnitState =
  | { state: 'pending'; results: number }
  | { state: 'valid'; output: Output; valid: readonly string[]; invalid: readonly string[] }
  | { state: 'failed'; reason: string };

export function sameOutput(a: Output, b: Output, tolerance = 0): boolean {
  if ('hash' in a || 'hash' in b) return 'hash' in a && 'hash' in b && a.hash === b.hash;
  if (a.values.length !== b.values.length) return false;
  for (let i = 0; i < a.values.length; i++) {
    const x = a.values[i]!;
    const y = b.values[i]!;
    if (Number.isNaN(x) || Number.isNaN(y)) return false;
    if (Math.abs(x - y) > tolerance * Math.max(1, Math.abs(x), Math.abs(y))) return false;
  }
  return true;
}

export class WorkUnit {
  readonly jobId: string;
  readonly quorum: number;
  readonly tolerance: number;
  readonly maxResults: number;
  readonly #results: { contributor: string; output: Output }[] = [];
  #state: UnitState = { state: 'pending', results: 0 };

  constructor(jobId: string, opts: WorkUnitOptions = {}) {
    this.jobId = jobId;
    this.quorum = opts.quorum ?? 2;
    this.tolerance = opts.tolerance ?? 0;
    this.maxResults = opts.maxResults ?? 6;
    if (!Number.isSafeInteger(this.quorum) || this.quorum < 1)
      throw new RangeError(`WorkUnit: quorum must be an integer ≥ 1, got ${this.quorum}`);
    if (!Number.isFinite(this.tolerance) || this.tolerance < 0)
      throw new RangeError(`WorkUnit: tolerance must be a finite number ≥ 0, got ${this.tolerance}`);
    if (!Number.isSafeInteger(this.maxResults) || this.maxResults < this.quorum)
      throw new RangeError(`WorkUnit: maxResults must be an integer ≥ quorum, got ${this.maxResults}`);
  }

  get state(): UnitState {
    return this.#state;
  }

  /** Identities that already returned a result: the next run must go to someone else. */
  contributors(): string[] {
    return this.#results.map((r) => r.contributor);
  }

  /** Adds a result; a second result from the same identity is refused (quorums need distinct identities). */
  add(contributor: string, output: Output): UnitState {
    if (this.#state.state !== 'pending') return this.#state;
    if (this.#results.some((r) => r.contributor === contributor))
      throw new RangeError(
        `WorkUnit ${this.jobId}: ${contributor} already returned a result; a quorum needs distinct identities`,
      );
    this.#results.push({ contributor, output });
    const group = this.#results.filter((r) => sameOutput(r.output, output, this.tolerance));
    if (group.length >= this.quorum) {
      const valid = group.map((r) => r.contributor);
      this.#state = {
        state: 'valid',
        output: group[0]!.output,
        valid,
        invalid: this.#results.filter((r) => !valid.includes(r.contributor)).map((r) => r.contributor),
      };
    } else if (this.#results.length >= this.maxResults) {
      this.#state = {
        state: 'failed',
        reason: `no ${this.quorum} of ${this.#results.length} results agreed`,
      };
    } else {
      this.#state = { state: 'pending', results: this.#results.length };
    }
    return this.#state;
  }

  /** Accepts a single trusted result without a replica (adaptive replication decided not to check it). */
  acceptAlone(contributor: string, output: Output): UnitState {
    if (this.#state.state !== 'pending' || this.#results.length > 0)
      throw new RangeError(`WorkUnit ${this.jobId}: only a first result can be accepted alone`);
    this.#results.push({ contributor, output });
    this.#state = { state: 'valid', output, valid: [contributor], invalid: [] };
    return this.#state;
  }
}

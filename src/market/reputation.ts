/**
 * Contributor reputation as BOINC's adaptive replication keeps it: a run of consecutive valid
 * results (`streak`), trust after `trustAfter` of them, and then a result is replicated (checked by
 * a second identity) with probability 1/n, n = the streak. A result that loses a quorum resets the
 * streak and counts a strike; after `maxStrikes` strikes the contributor gets no more work.
 * Pure and in memory: the mesh persists and gossips it later; `snapshot()` is its serialised form.
 */
export interface ReputationOptions {
  /** Consecutive valid results before a contributor is trusted; default 10. */
  trustAfter?: number;
  /** Lost quorums before a contributor is excluded; default 2. */
  maxStrikes?: number;
}

export interface ContributorRecord {
  streak: number;
  strikes: number;
  valid: number;
  invalid: number;
}

export class Reputation {
  readonly trustAfter: number;
  readonly maxStrikes: number;
  readonly #records = new Map<string, ContributorRecord>();
  readonly #overclaims = new Map<string, number>();

  constructor(opts: ReputationOptions = {}) {
    this.trustAfter = positiveInt(opts.trustAfter ?? 10, 'trustAfter');
    this.maxStrikes = positiveInt(opts.maxStrikes ?? 2, 'maxStrikes');
  }

  get(id: string): ContributorRecord {
    return { ...(this.#records.get(id) ?? { streak: 0, strikes: 0, valid: 0, invalid: 0 }) };
  }

  trusted(id: string): boolean {
    return this.get(id).streak >= this.trustAfter && !this.excluded(id);
  }

  excluded(id: string): boolean {
    return this.get(id).strikes >= this.maxStrikes;
  }

  /** Whether a result from `id` needs a second identity: always until trusted, then with probability 1/streak. */
  needsReplica(id: string, random: () => number): boolean {
    if (!this.trusted(id)) return true;
    return random() < 1 / this.get(id).streak;
  }

  /** A result that agreed with a quorum. */
  recordValid(id: string): void {
    const r = this.get(id);
    this.#records.set(id, { ...r, streak: r.streak + 1, valid: r.valid + 1 });
  }

  /** A result that lost a quorum: the streak starts again and a strike is counted. */
  recordInvalid(id: string): void {
    const r = this.get(id);
    this.#records.set(id, { ...r, streak: 0, strikes: r.strikes + 1, invalid: r.invalid + 1 });
  }

  /**
   * A result whose claimed cost was above the job's work-based price (src/capsules/price.ts): it is
   * paid the price, so the claim gained nothing; counted as a signal, not a strike (a contributor on
   * another version of the price table overclaims honestly).
   */
  recordOverclaim(id: string): void {
    this.#overclaims.set(id, (this.#overclaims.get(id) ?? 0) + 1);
  }

  /** Results of `id` that claimed more than their price. */
  overclaims(id: string): number {
    return this.#overclaims.get(id) ?? 0;
  }

  snapshot(): Record<string, ContributorRecord> {
    return Object.fromEntries([...this.#records].map(([k, v]) => [k, { ...v }]));
  }
}

function positiveInt(v: number, label: string): number {
  if (!Number.isSafeInteger(v) || v < 1)
    throw new RangeError(`Reputation: ${label} must be an integer ≥ 1, got ${v}`);
  return v;
}

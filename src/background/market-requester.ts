/**
 * The requester's wallet calls for the "Submit work" page: an extension user spends the credits
 * they earned. The MarketRequester runs in the offscreen document (it needs the mesh node); the
 * escrow hold, the payer-signed payments and the release happen here, on the background's ledger
 * (IndexedDB), through small runtime messages. Amounts are integer micro-credits.
 */
import { MICRO_CREDITS_PER_CREDIT } from '../ledger';
import type { Handlers } from '../messaging/messenger';
import type { Wallet } from './wallet';

export type MarketRequesterKeys = 'market/balance' | 'market/hold' | 'market/pay' | 'market/release';

const whole = (what: string, n: unknown): number => {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1)
    throw new RangeError(`${what} must be a whole number of micro-credits ≥ 1, got ${String(n)}`);
  return n;
};

/** `ensureHost`: the offscreen document (where the requester runs) is created when the page asks. */
export function marketRequesterHandlers(
  wallet: Wallet,
  ensureHost: () => Promise<unknown>,
): Pick<Handlers<'background'>, MarketRequesterKeys> {
  return {
    'market/balance': async () => {
      await ensureHost().catch(() => undefined);
      const m = await wallet.market();
      const t = await m.ledger.runningTotals();
      return {
        nodeId: m.nodeId,
        balance: t.balance,
        held: t.held,
        available: t.balance - t.held,
        spent: t.spent,
      };
    },
    'market/hold': async ({ jobId, budget }) => {
      const m = await wallet.market();
      const amount = whole('budget', budget);
      const t = await m.ledger.runningTotals();
      const available = t.balance - t.held;
      if (available < amount) {
        const c = (x: number) => (x / MICRO_CREDITS_PER_CREDIT).toFixed(2);
        throw new RangeError(
          `not enough credits: ${c(available)} available, this job holds ${c(amount)}; missing ${c(amount - available)} (earn credits by contributing)`,
        );
      }
      try {
        const hold = await m.payments.hold(String(jobId), amount);
        return { id: hold.id };
      } finally {
        await m.changed();
      }
    },
    'market/pay': async ({ holdId, payee, amount, jobId, capsule, method }) => {
      const m = await wallet.market();
      try {
        const bundle = await m.payments.pay(String(holdId), String(payee), whole('amount', amount), {
          jobId: String(jobId),
          capsule: String(capsule),
          method: String(method),
        });
        return { bundle };
      } finally {
        await m.changed();
      }
    },
    'market/release': async ({ holdId, reason }) => {
      const m = await wallet.market();
      try {
        await m.payments.release(String(holdId), reason ?? 'job finished: unspent budget returned');
        return { released: true as const };
      } finally {
        await m.changed();
      }
    },
  };
}

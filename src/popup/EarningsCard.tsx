import type { EarningsView, MarketJobView, Status } from '../messaging/protocol';
import {
  capsuleName,
  cpuEnergyText,
  creditsText,
  creditUnit,
  formatCredits,
  lastSevenDays,
  MICRO_PER_CREDIT,
  shortId,
} from './format';
import { WeekChart } from './WeekChart';

interface Props {
  status: Status | null;
  earnings: EarningsView | null;
  error: string | null;
}

/** Why there is nothing yet, in the words of PRODUCT.md: every zero has a reason. */
function emptyNote(status: Status | null): string {
  if (status?.phase === 'paused') return 'No earnings yet. Turn on Contribute to start.';
  if (status?.phase === 'suspended') return `No earnings yet (${status.text.toLowerCase()}).`;
  return 'No earnings yet';
}

/** The reason each source of credits is still at zero: the paid mesh jobs say where they stand. */
export function peersZeroReason(market: readonly MarketJobView[] = []): string {
  const running = market.filter((j) => j.state === 'running').length;
  if (running > 0) return `0 — ${running} paid job${running === 1 ? '' : 's'} running for peers`;
  const awaiting = market.filter((j) => j.state === 'awaiting payment').length;
  if (awaiting > 0)
    return `0 — ${awaiting} result${awaiting === 1 ? '' : 's'} awaiting the requester's verification`;
  const last = market[0];
  if (last !== undefined) return `0 — ${last.reason}`;
  return '0 — no peer has paid for work yet (no requester has sent this browser a job)';
}

/** One paid mesh job: requester, capsule, credits, where it stands, and why a zero is a zero. */
function PaidJob({ job }: { job: MarketJobView }) {
  return (
    <li class={`job-row market-${job.state.replace(' ', '-')}`} data-testid="paid-job">
      <span class="job-capsule">
        {capsuleName(job.capsule)}.{job.method}
      </span>
      <span class={`job-credits${job.credits > 0 ? '' : ' uncounted'}`} data-testid="paid-job-credits">
        {job.credits > 0 ? `+${formatCredits(job.credits)}` : formatCredits(0)}
      </span>
      <span class="job-meta" data-testid="paid-job-requester" title={job.requester}>
        from {shortId(job.requester)}
      </span>
      <span class="badge" data-testid="paid-job-state">
        {job.state}
      </span>
      {job.reason !== '' && (
        <span class="job-reason" data-testid="paid-job-reason">
          {job.reason}
        </span>
      )}
    </li>
  );
}

export function powZeroReason(status: Status | null): string {
  if (status?.phase === 'paused') return '0 — contributing is off';
  if (status?.phase === 'suspended') return `0 — ${status.text.toLowerCase()}`;
  return '0 — no proof found yet (a proof takes about 16 million hashes)';
}

function note(e: EarningsView, status: Status | null): string {
  if (e.pending > 0) return `+${formatCredits(e.pending)} pending verification`;
  if (e.balance === 0) return e.recent.length === 0 ? emptyNote(status) : 'No settled credits yet';
  return 'Settled and verified';
}

/**
 * Balance, today's earnings, the 7-day chart and the CPU/energy line. Amounts are micro-credits.
 * Until the ledger answers, the balance is the background's own figure (Status.balance), and the
 * card says why the rest is missing.
 */
export function EarningsCard({ status, earnings: e, error }: Props) {
  const loading = !e && !error;
  const balanceMicro = e ? e.balance : status ? Math.round(status.balance.credits * MICRO_PER_CREDIT) : null;
  const amount = balanceMicro === null ? '…' : formatCredits(balanceMicro);
  const unit = balanceMicro === null ? 'credits' : creditUnit(balanceMicro);
  const noteText = e ? note(e, status) : status && !loading ? status.balance.note : '';
  const now = status?.now ?? Date.now();

  return (
    <section class="card earnings-card" aria-labelledby="earnings-title">
      <h2 id="earnings-title">Balance</h2>
      <p class="balance" data-testid="balance">
        <strong class={balanceMicro === null ? 'skeleton-text' : ''}>{amount}</strong> {unit}
      </p>
      <p class="muted" data-testid="balance-note">
        {noteText}
      </p>
      <p class="today-line" data-testid="earnings-today">
        <span class="label">Today</span>{' '}
        {e ? (
          <>
            <strong>{creditsText(e.today)}</strong>
            {e.todayPending > 0 && (
              <span class="pending-text"> +{formatCredits(e.todayPending)} pending</span>
            )}
          </>
        ) : (
          <span class={loading ? 'skeleton-text' : 'muted-inline'}>{loading ? 'Loading…' : '—'}</span>
        )}
      </p>
      {e && (
        <dl class="facts earnings-split" data-testid="earnings-split">
          <dt>Paid by peers</dt>
          <dd data-testid="earned-peers">
            {e.paidByPeers > 0 ? creditsText(e.paidByPeers) : peersZeroReason(e.market)}
          </dd>
          <dt>Proof-of-work</dt>
          <dd data-testid="earned-pow">
            {e.proofOfWork > 0 ? creditsText(e.proofOfWork) : powZeroReason(status)}
          </dd>
          {(e.spent > 0 || e.held > 0) && (
            <>
              <dt>Paid to peers</dt>
              <dd data-testid="spent">
                {creditsText(e.spent)}
                {e.held > 0 && ` (+${formatCredits(e.held)} held for running jobs)`}
              </dd>
            </>
          )}
        </dl>
      )}
      {e?.market && e.market.length > 0 && (
        <ol class="jobs paid-jobs" data-testid="paid-jobs" aria-label="Paid jobs for peers">
          {e.market.map((j) => (
            <PaidJob key={`${j.requester}/${j.jobId}`} job={j} />
          ))}
        </ol>
      )}
      <WeekChart
        days={
          e?.last7Days ?? lastSevenDays(now).map((day) => ({ day, credits: 0, pending: 0, unknown: true }))
        }
      />
      <p
        class="cpu-energy"
        data-testid="cpu-energy"
        title={
          e
            ? `Estimate: CPU time × ${e.wattsPerCore} W per busy core; excludes screen, GPU and idle power`
            : undefined
        }
      >
        {e ? cpuEnergyText(e.cpuMs, e.energyWh) : 'CPU — · ≈ — Wh'}
      </p>
      {error && (
        <p class="error" role="status" data-testid="earnings-error">
          {e ? `Not updated: ${error}` : `Earnings unavailable: ${error}`}
        </p>
      )}
    </section>
  );
}

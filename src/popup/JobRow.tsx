import type { RecentJob } from '../ledger/summary';
import { capsuleName, formatCredits, formatDuration, jobTime, shortId, stateLabel } from './format';

/**
 * One recent job: capsule, when it ran, its credits and its verification state as a badge. A
 * rejected or refused record, or a zero, says why ("rejected: bad signature", "no work available"); a
 * refused one keeps the ledger's exact reason as the tooltip.
 */
export function JobRow({ job, now }: { job: RecentJob; now: number }) {
  const rejected = job.state === 'rejected';
  const showReason = job.reason !== '' && (rejected || job.credits === 0 || job.refused !== undefined);
  const when = new Date(job.time).toLocaleString();
  const credits = rejected || job.credits === 0 ? formatCredits(0) : `+${formatCredits(job.credits)}`;
  return (
    <li class={`job-row state-${job.state}`} data-testid="job-row">
      <span class="job-capsule">{capsuleName(job.capsule)}</span>
      <span class={`job-credits${job.counted ? '' : ' uncounted'}`}>{credits}</span>
      <span class="job-meta">
        <time dateTime={new Date(job.time).toISOString()} title={when}>
          {jobTime(job.time, now)}
        </time>
        {job.cpuMs > 0 && ` · CPU ${formatDuration(job.cpuMs)}`}
        {job.payer !== undefined && <span data-testid="job-payer"> · paid by {shortId(job.payer)}</span>}
      </span>
      <span class={`badge badge-${job.state}`} data-testid="job-state">
        {stateLabel(job.state)}
      </span>
      {showReason && (
        <span class="job-reason" data-testid="job-reason" title={job.detail}>
          {job.reason}
        </span>
      )}
    </li>
  );
}

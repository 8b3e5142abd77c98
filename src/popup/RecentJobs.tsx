import { useState } from 'preact/hooks';
import type { RecentJob } from '../ledger/summary';
import { JobRow } from './JobRow';

/** Rows shown before "Show more": enough to see what is going on without pushing the rest away. */
export const FIRST_ROWS = 5;

/** The most recent jobs, newest first (the ledger sends up to 20). */
export function RecentJobs({ jobs, now }: { jobs: readonly RecentJob[]; now: number }) {
  const [all, setAll] = useState(false);
  const shown = all ? jobs : jobs.slice(0, FIRST_ROWS);
  return (
    <section class="card jobs-card" aria-labelledby="jobs-title" data-testid="recent-jobs">
      <h2 id="jobs-title">Recent jobs</h2>
      {jobs.length === 0 ? (
        <p class="muted">
          No jobs yet. Each job will show here with its credits and whether it has been verified.
        </p>
      ) : (
        <ol class="jobs">
          {shown.map((j, i) => (
            <JobRow key={j.id ?? `${j.jobId}-${i}`} job={j} now={now} />
          ))}
        </ol>
      )}
      {jobs.length > FIRST_ROWS && (
        <button type="button" class="link more" aria-expanded={all} onClick={() => setAll(!all)}>
          {all ? 'Show fewer' : `Show ${jobs.length - FIRST_ROWS} more`}
        </button>
      )}
    </section>
  );
}

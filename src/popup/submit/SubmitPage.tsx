/**
 * The "Submit work" page (opened from the popup): an extension user spends the credits they earned
 * on jobs that contributors run. Files go to the offscreen document's MarketRequester over a
 * BroadcastChannel (SUBMIT_CHANNEL; one job per file, results in input order); the wallet's
 * balance comes from the background (market/balance). Progress: offered, claimed, running,
 * verified, paid, credits spent; results download as files; Cancel releases the unspent budget.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { MICRO_CREDITS_PER_CREDIT } from '../../ledger/receipt';
import {
  SUBMIT_CHANNEL,
  type MarketBalance,
  type SubmitCapsuleInfo,
  type SubmitChannelReply,
  type SubmitChannelRequest,
} from '../../messaging/protocol';
import { ask } from '../client';
import { fieldsOf, paramsFrom } from './params-form';

/** Jobs of one submission in escrow at once (the offscreen requester's IN_FLIGHT). */
const IN_FLIGHT = 2;
const c = (micro: number) => (micro / MICRO_CREDITS_PER_CREDIT).toFixed(2);

interface JobView {
  name: string;
  status: string;
  error: string;
  paid: number;
  url: string | null;
  bytes: number;
}

type Counts = Record<'offered' | 'claimed' | 'running' | 'verified' | 'paid', number>;
const ZERO: Counts = { offered: 0, claimed: 0, running: 0, verified: 0, paid: 0 };

export function SubmitPage() {
  const channel = useMemo(() => new BroadcastChannel(SUBMIT_CHANNEL), []);
  const [ready, setReady] = useState<Extract<SubmitChannelReply, { type: 'ready' }> | null>(null);
  const [hostSilent, setHostSilent] = useState(false);
  const [balance, setBalance] = useState<MarketBalance | null>(null);
  const [library, setLibrary] = useState('crypto');
  const [method, setMethod] = useState('');
  const [values, setValues] = useState<Record<string, string>>({});
  const [rawJson, setRawJson] = useState<string | null>(null);
  const [files, setFiles] = useState<File[]>([]);
  const [budget, setBudget] = useState('100');
  const [redundancy, setRedundancy] = useState('2');
  const [deadline, setDeadline] = useState('60');
  const [error, setError] = useState<string | null>(null);
  const [runId, setRunId] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const [jobs, setJobs] = useState<JobView[]>([]);
  const [counts, setCounts] = useState<Counts>(ZERO);
  const [spent, setSpent] = useState(0);
  const run = useRef<string | null>(null);

  const post = (m: SubmitChannelRequest) => channel.postMessage(m);

  useEffect(() => {
    channel.onmessage = (e: MessageEvent<SubmitChannelReply>) => {
      const m = e.data;
      if (m.type === 'ready') {
        setReady(m);
        setHostSilent(false);
        return;
      }
      if (m.runId !== run.current) return;
      if (m.type === 'event') {
        if (m.kind in ZERO) setCounts((k) => ({ ...k, [m.kind]: k[m.kind as keyof Counts] + 1 }));
        if (m.kind === 'paid') setSpent((s) => s + (m.credits ?? 0));
        setJobs((js) =>
          js.map((j, i) => (i === m.index && j.status !== 'ok' ? { ...j, status: m.kind } : j)),
        );
      } else if (m.type === 'result') {
        const url = m.output ? URL.createObjectURL(new Blob([m.output as BlobPart])) : null;
        setJobs((js) =>
          js.map((j, i) =>
            i === m.index
              ? { ...j, status: m.status, error: m.error, paid: m.paid, url, bytes: m.output?.length ?? 0 }
              : j,
          ),
        );
      } else if (m.type === 'done') {
        setRunning(false);
        void refreshBalance();
      } else if (m.type === 'refused') {
        setError(m.message);
        setRunning(false);
        setJobs([]);
      }
    };
    // The offscreen document may be starting: ask until it answers.
    let tries = 0;
    const hello = setInterval(() => {
      if (tries++ === 10) setHostSilent(true);
      post({ type: 'hello' });
    }, 1000);
    post({ type: 'hello' });
    void refreshBalance();
    const poll = setInterval(() => void refreshBalance(), 3000);
    return () => {
      clearInterval(hello);
      clearInterval(poll);
      channel.close();
    };
  }, []);

  useEffect(() => {
    if (ready !== null) {
      const t = setInterval(() => post({ type: 'hello' }), 5000);
      return () => clearInterval(t);
    }
    return undefined;
  }, [ready !== null]);

  async function refreshBalance() {
    try {
      setBalance(await ask('market/balance'));
    } catch {
      /* the background restarts: the next poll answers */
    }
  }

  const capsule: SubmitCapsuleInfo | undefined = ready?.capsules.find((k) => k.library === library);
  const methodInfo = capsule?.methods.find((m) => m.name === method) ?? capsule?.methods[0];
  const form = useMemo(() => fieldsOf(methodInfo?.schema ?? null), [methodInfo]);
  const paramsText = rawJson ?? JSON.stringify(paramsFrom(form.fields, values));

  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    if (methodInfo === undefined) return setError('pick a capsule and a method');
    const b = Number(budget);
    const r = Number(redundancy);
    const d = Number(deadline);
    if (!Number.isInteger(b) || b < 1 || b > 1_000_000)
      return setError('budget must be a whole number of credits from 1 to 1000000');
    if (!Number.isInteger(r) || r < 1 || r > 5)
      return setError('redundancy must be a whole number from 1 to 5');
    if (!(d >= 1 && d <= 3600)) return setError('deadline must be from 1 to 3600 seconds');
    try {
      const p: unknown = JSON.parse(paramsText);
      if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new Error('not an object');
    } catch (err) {
      return setError(`params must be a JSON object: ${err instanceof Error ? err.message : String(err)}`);
    }
    const n = Math.max(1, files.length);
    const need = Math.min(n, IN_FLIGHT) * b * r * MICRO_CREDITS_PER_CREDIT;
    const bal = await ask('market/balance').catch(() => balance);
    if (bal !== null && bal.available < need) {
      return setError(
        `Not enough credits: ${c(bal.available)} available, ${c(need)} needed ` +
          `(${Math.min(n, IN_FLIGHT)} job(s) in escrow at once × budget ${b} × redundancy ${r}; what runs do not use returns). ` +
          `Missing ${c(need - bal.available)}: earn credits by contributing, or lower the budget.`,
      );
    }
    const id = crypto.randomUUID();
    const payload = await Promise.all(
      files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })),
    );
    for (const j of jobs) if (j.url) URL.revokeObjectURL(j.url);
    run.current = id;
    setRunId(id);
    setRunning(true);
    setCounts(ZERO);
    setSpent(0);
    setJobs(
      (payload.length > 0 ? payload : [{ name: 'job-0' }]).map((f) => ({
        name: f.name,
        status: 'queued',
        error: '',
        paid: 0,
        url: null,
        bytes: 0,
      })),
    );
    post({
      type: 'submit',
      runId: id,
      capsule: library,
      method: methodInfo.name,
      params: paramsText,
      budget: b,
      redundancy: r,
      deadlineMs: Math.round(d * 1000),
      files: payload,
    });
  }

  const verified = jobs.filter((j) => j.status === 'ok').length;
  return (
    <main class="submit-page">
      <header class="brand">
        <span class="logo" aria-hidden="true">
          ◆
        </span>
        <h1>Submit work</h1>
        <span class="tagline" data-testid="submit-balance">
          {balance === null
            ? 'balance …'
            : `${c(balance.available)} credits available${balance.held > 0 ? ` (${c(balance.held)} in escrow)` : ''}`}
        </span>
      </header>
      {ready === null ? (
        <p class="card" role="status" data-testid="submit-host">
          {hostSilent
            ? "The extension's compute host is not answering: turn contributing on in the popup, then reload this page."
            : 'Connecting to the compute host…'}
        </p>
      ) : ready.mesh === null ? (
        <p class="card warn" role="status" data-testid="submit-host">
          The mesh node is not running ({ready.meshError}). Set a bootstrap peer in Settings.
        </p>
      ) : (
        <p class="card" role="status" data-testid="submit-host">
          Mesh: {ready.mesh.peers} peer(s) connected, {ready.mesh.adverts} contributor advert(s) known.
        </p>
      )}
      <form class="card submit-form" onSubmit={(e) => void submit(e)}>
        <label>
          Files (one job per file)
          <input
            type="file"
            multiple
            data-testid="submit-files"
            onChange={(e) => setFiles([...((e.currentTarget as HTMLInputElement).files ?? [])])}
          />
        </label>
        <label>
          Capsule
          <select
            data-testid="submit-capsule"
            value={library}
            onChange={(e) => {
              setLibrary((e.currentTarget as HTMLSelectElement).value);
              setMethod('');
              setValues({});
              setRawJson(null);
            }}
          >
            {(ready?.capsules ?? []).map((k) => (
              <option key={k.library} value={k.library}>
                {k.library}
              </option>
            ))}
          </select>
        </label>
        <label>
          Method
          <select
            data-testid="submit-method"
            value={methodInfo?.name ?? ''}
            onChange={(e) => {
              setMethod((e.currentTarget as HTMLSelectElement).value);
              setValues({});
              setRawJson(null);
            }}
          >
            {(capsule?.methods ?? []).map((m) => (
              <option key={m.name} value={m.name} title={m.summary}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
        {methodInfo && <p class="hint">{methodInfo.summary}</p>}
        <fieldset data-testid="submit-params">
          <legend>Parameters</legend>
          {rawJson === null &&
            form.fields.map((f) => (
              <label key={f.name} title={f.description}>
                {f.name}
                {f.required ? ' *' : ''}
                {f.kind === 'enum' || f.kind === 'boolean' ? (
                  <select
                    data-testid={`param-${f.name}`}
                    value={values[f.name] ?? ''}
                    onChange={(e) =>
                      setValues({ ...values, [f.name]: (e.currentTarget as HTMLSelectElement).value })
                    }
                  >
                    <option value="">(default)</option>
                    {(f.kind === 'boolean' ? ['true', 'false'] : f.options).map((o) => (
                      <option key={o} value={o}>
                        {o}
                      </option>
                    ))}
                  </select>
                ) : f.kind === 'string' ? (
                  <input
                    data-testid={`param-${f.name}`}
                    type="text"
                    value={values[f.name] ?? ''}
                    onInput={(e) =>
                      setValues({ ...values, [f.name]: (e.currentTarget as HTMLInputElement).value })
                    }
                  />
                ) : (
                  <input
                    data-testid={`param-${f.name}`}
                    type="number"
                    step={f.kind === 'integer' ? 1 : 'any'}
                    min={f.min}
                    max={f.max}
                    value={values[f.name] ?? ''}
                    onInput={(e) =>
                      setValues({ ...values, [f.name]: (e.currentTarget as HTMLInputElement).value })
                    }
                  />
                )}
              </label>
            ))}
          {rawJson === null && form.rest.length > 0 && (
            <p class="hint">Not in the form (edit as JSON): {form.rest.join(', ')}</p>
          )}
          <label>
            <input
              type="checkbox"
              data-testid="params-raw-toggle"
              checked={rawJson !== null}
              onChange={(e) => setRawJson((e.currentTarget as HTMLInputElement).checked ? paramsText : null)}
            />{' '}
            Edit as JSON
          </label>
          {rawJson !== null && (
            <textarea
              data-testid="params-json"
              rows={4}
              value={rawJson}
              onInput={(e) => setRawJson((e.currentTarget as HTMLTextAreaElement).value)}
            />
          )}
        </fieldset>
        <label>
          Budget (credits per run)
          <input
            data-testid="submit-budget"
            type="number"
            min={1}
            value={budget}
            onInput={(e) => setBudget((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <label>
          Redundancy (identities that must agree)
          <input
            data-testid="submit-redundancy"
            type="number"
            min={1}
            max={5}
            value={redundancy}
            onInput={(e) => setRedundancy((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <label>
          Deadline per run (seconds)
          <input
            data-testid="submit-deadline"
            type="number"
            min={1}
            value={deadline}
            onInput={(e) => setDeadline((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <div class="actions">
          <button type="submit" data-testid="submit-go" disabled={running || ready?.mesh == null}>
            Submit
          </button>
          <button
            type="button"
            data-testid="submit-cancel"
            disabled={!running}
            onClick={() => runId && post({ type: 'cancel', runId })}
          >
            Cancel
          </button>
        </div>
      </form>
      {error && (
        <p class="card error" role="alert" data-testid="submit-error">
          {error}
        </p>
      )}
      {jobs.length > 0 && (
        <section class="card" data-testid="submit-progress">
          <p data-testid="submit-counts">
            {verified}/{jobs.length} done · offered {counts.offered} · claimed {counts.claimed} · running{' '}
            {counts.running} · verified {counts.verified} · paid {counts.paid} ·{' '}
            <span data-testid="submit-spent">{c(spent)}</span> credits spent
            {running ? '' : ' · finished'}
          </p>
          <ol class="submit-results">
            {jobs.map((j, i) => (
              <li key={i} data-testid={`job-${i}`} data-status={j.status}>
                {j.name}: {j.status}
                {j.paid > 0 && ` · ${c(j.paid)} credits`}
                {j.error && ` · ${j.error}`}
                {j.url && (
                  <>
                    {' '}
                    <a href={j.url} download={`${j.name}.out`} data-testid={`download-${i}`}>
                      Download ({j.bytes} B)
                    </a>
                  </>
                )}
              </li>
            ))}
          </ol>
        </section>
      )}
    </main>
  );
}

/**
 * `inos submit <library> <method>`: runs jobs on other people's machines through the mesh, verified
 * by a quorum of distinct identities and paid from this machine's wallet (src/cli/requester.ts).
 * A directory input is one job per file (in name order) and the outputs come back in that order.
 * Exit statuses as `inos run`: 0 all ok; 2 bad input (or not enough credits without --mint);
 * 3 budget exhausted; 4 timeout; 1 no contributor, cancelled, or a job that could not be verified.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { builtinCapsules } from '../../capsules/builtin.ts';
import { MICRO_CREDITS_PER_CREDIT } from '../../ledger/index.ts';
import { credits } from '../../trade/market-wallet.ts';
import type { JobDone } from '../../trade/index.ts';
import { readFlags } from './_shared.ts';
import { CliInputError, EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK } from '../cli-error.ts';
import type { CliIo } from '../io.ts';
import { bootstrapOrLocal } from '../local-node.ts';
import { checkBootstrap } from '../mesh-peer.ts';
import type { Command } from '../registry.ts';
import { DEFAULT_BUDGET, MAX_ESCROWED, Requester, type SubmitJob } from '../requester.ts';
import { WalletFile } from '../wallet-file.ts';
import { planWorkflow } from '../../workflow/index.ts';
import { MeshWorkflowEngine, runsHere } from '../mesh-workflow-engine.ts';
import { startNodeEngine } from '../node-engine.ts';
import { progressBar } from './_progress.ts';
import { runWorkflowCommand, SUBMIT_WORKFLOW_USAGE, type OpenMesh } from './_run-workflow.ts';
import { EXIT_BY_STATUS } from './run.ts';

const USAGE = `Usage: inos submit <library> <method> [--in FILE|DIR|-] [--params JSON|@FILE] [--budget N]
         [--redundancy K] [--deadline 60s] [--out DIR|FILE|-] [--bootstrap MULTIADDR] [--json] [--mint]

Runs jobs on contributors of the INOS mesh, checks each result with a second identity, and pays what
each run used from this machine's wallet ($INOS_HOME/wallet.json; see \`inos wallet\`).

  --in FILE|DIR|-     the input: a file, a directory (one job per file, in name order), - for stdin
  --params JSON|@FILE the method's parameters (default {})
  --budget N          credits one run may spend, 1 to 1000000 (default 100); each job holds
                      N × K in escrow and pays what the runs used, the rest returns
  --redundancy K      distinct identities that must return the same output, 1 to 5 (default 2)
  --deadline D        how long one run may take before it goes to another contributor: 60s, 500ms, 2m (default 60s)
  --out DIR|FILE|-    where outputs go: - (default) stdout, in input order; a directory (one file per
                      job, named after its input file, or job-N.out); a FILE for a single job
  --bootstrap ADDR    an \`inos node\` to join (the first line it prints); default $INOS_BOOTSTRAP,
                      else the local \`inos node\` ($INOS_HOME/node.json)
  --json              one JSON line per finished job on stdout (index, status, costUsed, credits paid,
                      contributors, output hex when --out is not given) instead of the raw outputs
  --mint              mint what is missing (bound proof-of-work on this machine): first the escrow of
                      the jobs in flight at once, then more only if the runs spend it
  --wait SECONDS      how long to look for contributors before giving up (default 10)

A progress bar on a TTY shows offered, claimed, running, verified and paid jobs and the credits spent.`;

interface SubmitArgs {
  library: string;
  method: string;
  in: string | undefined;
  params: string;
  budget: number;
  redundancy: number;
  deadlineMs: number;
  out: string;
  bootstrap: string[];
  json: boolean;
  mint: boolean;
  waitMs: number;
}

function fail(msg: string): never {
  throw new CliInputError(`${msg}\n\n${USAGE}`);
}

function duration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!m) fail(`--deadline must be a duration such as 60s, 500ms or 2m; got ${JSON.stringify(text)}`);
  const n = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
  if (!(n >= 100 && n <= 3_600_000))
    fail(`--deadline must be from 100ms to 60m; got ${JSON.stringify(text)}`);
  return Math.round(n);
}

export function parseSubmitArgs(args: readonly string[], env: NodeJS.ProcessEnv = process.env): SubmitArgs {
  const flags = readFlags(
    args,
    {
      '--in': 'value',
      '--params': 'value',
      '--budget': 'value',
      '--redundancy': 'value',
      '--deadline': 'value',
      '--out': 'value',
      '--bootstrap': 'list',
      '--json': 'switch',
      '--mint': 'switch',
      '--wait': 'value',
    },
    USAGE,
    { positional: true },
  );
  const whole = (flag: string, min: number, max: number): number | undefined => {
    const v = flags.values.get(flag);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max)
      fail(`${flag} must be a whole number from ${min} to ${max}; got ${JSON.stringify(v)}`);
    return n;
  };
  const pos = flags.positional;
  const o: Partial<SubmitArgs> & { bootstrap: string[] } = {
    bootstrap: [...(flags.lists.get('--bootstrap') ?? [])],
    in: flags.values.get('--in'),
    out: flags.values.get('--out'),
    budget: whole('--budget', 1, 1_000_000),
    redundancy: whole('--redundancy', 1, 5),
    json: flags.switches.has('--json') || undefined,
    mint: flags.switches.has('--mint') || undefined,
  };
  const deadline = flags.values.get('--deadline');
  if (deadline !== undefined) o.deadlineMs = duration(deadline);
  const wait = whole('--wait', 0, 600);
  if (wait !== undefined) o.waitMs = wait * 1000;
  const paramsFlag = flags.values.get('--params');
  if (paramsFlag?.startsWith('@')) {
    try {
      o.params = readFileSync(paramsFlag.slice(1), 'utf8');
    } catch (err) {
      fail(`cannot read --params ${paramsFlag}: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else o.params = paramsFlag;
  const [library, method, ...extra] = pos;
  if (library === undefined || method === undefined)
    fail(`expected <library> <method>, got ${pos.length} argument(s)`);
  if (extra.length > 0) fail(`unexpected argument ${JSON.stringify(extra[0])}`);
  const capsule = builtinCapsules.find((c) => c.library === library);
  if (capsule === undefined)
    fail(
      `unknown library ${JSON.stringify(library)}; known: ${builtinCapsules
        .map((c) => c.library)
        .sort()
        .join(', ')}`,
    );
  if (!Object.hasOwn(capsule.methods, method))
    fail(
      `${library} has no method ${JSON.stringify(method)}; it has ${Object.keys(capsule.methods).sort().join(', ')}`,
    );
  const params = o.params ?? '{}';
  try {
    const p: unknown = JSON.parse(params);
    if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new Error('not an object');
  } catch (err) {
    fail(`--params must be a JSON object: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (o.bootstrap.length === 0 && env['INOS_BOOTSTRAP'])
    o.bootstrap.push(...env['INOS_BOOTSTRAP'].split(/\s+/).filter(Boolean));
  return {
    library,
    method,
    in: o.in,
    params,
    budget: o.budget ?? DEFAULT_BUDGET,
    redundancy: o.redundancy ?? 2,
    deadlineMs: o.deadlineMs ?? 60_000,
    out: o.out ?? '-',
    bootstrap: o.bootstrap,
    json: o.json ?? false,
    mint: o.mint ?? false,
    waitMs: o.waitMs ?? 10_000,
  };
}

/** The jobs' inputs, with a name for each output. */
async function inputs(src: string | undefined, io: CliIo): Promise<{ name: string; bytes?: Uint8Array }[]> {
  if (src === undefined) return [{ name: 'job-0.out' }];
  if (src === '-') return [{ name: 'stdin.out', bytes: await io.readStdin() }];
  let st;
  try {
    st = statSync(src);
  } catch (err) {
    fail(
      `cannot read --in ${src}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : String(err)}`,
    );
  }
  const read = (f: string) => {
    const b = readFileSync(f);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  };
  if (!st.isDirectory()) return [{ name: basename(src), bytes: read(src) }];
  const files = readdirSync(src, { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort();
  if (files.length === 0) fail(`--in ${src} is an empty directory: one job per file, and there are none`);
  return files.map((name) => ({ name, bytes: read(join(src, name)) }));
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * `inos submit workflow`: the wallet must hold the workflow's whole budget (every step's escrow comes
 * out of it; --mint mints what is missing), contributors must offer the mesh steps' libraries, then
 * the orchestrator runs on MeshWorkflowEngine.
 */
const openMesh: OpenMesh = async (local, o, registry, io) => {
  checkBootstrap(o.bootstrap, SUBMIT_WORKFLOW_USAGE);
  const file = await WalletFile.open();
  const plan = o.workflow ? planWorkflow(o.workflow, registry) : null;
  const remote = plan
    ? [
        ...new Set(
          plan.steps
            .filter((s) => !runsHere(registry, s.step.library, s.step.method))
            .map((s) => s.step.library),
        ),
      ]
    : [];
  if (plan && remote.length > 0) {
    const need = plan.budget * MICRO_CREDITS_PER_CREDIT;
    const have = (await file.wallet.balance()).available;
    if (have < need) {
      const missing = Math.ceil((need - have) / MICRO_CREDITS_PER_CREDIT);
      if (!o.mint) {
        io.writeStderr(
          `inos submit workflow: not enough credits: ${credits(have)} available, the workflow's budget is ` +
            `${plan.budget}. Missing ${missing}: run \`inos wallet mint --credits ${missing}\`, or pass --mint.\n`,
        );
        return EXIT_BAD_INPUT;
      }
      const { mintInto } = await import('./wallet.ts');
      await mintInto(file, missing, io, process.stderr.isTTY === true);
    }
  }
  const requester = await Requester.open({ bootstrap: o.bootstrap, wallet: file });
  try {
    // --recover alone: no definition to read libraries from; wait for the first advert of any.
    const until = Date.now() + o.waitMs;
    while (!plan && requester.peer.node.adverts.size === 0 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 200));
    for (const library of remote) {
      if ((await requester.discover(library, o.waitMs)) > 0) continue;
      io.writeStderr(
        `inos submit workflow: no contributor offers ${library}; 0 peers have it ` +
          `(${requester.peer.port.peers().length} connected, waited ${o.waitMs / 1000} s)\n`,
      );
      await requester.close();
      return EXIT_FAILURE;
    }
  } catch (err) {
    await requester.close();
    throw err;
  }
  const engine = new MeshWorkflowEngine(local, requester, registry, {
    redundancy: o.redundancy,
    deadlineMs: o.deadlineMs,
    onEvent: (e, step) => {
      if (process.env['INOS_DEBUG'])
        io.writeStderr(
          `[submit workflow] ${step} ${e.kind} ${e.contributor?.slice(0, 16) ?? ''} ${e.detail ?? ''}\n`,
        );
    },
  });
  return {
    engine,
    close: async () => {
      io.writeStderr(
        `inos submit workflow: ${engine.stats.marketJobs} step job(s) on the mesh, ${engine.stats.localJobs} here; ` +
          `${engine.stats.paidCredits} credits paid to contributors\n`,
      );
      await requester.close();
    },
  };
};

export const submitCommand: Command = {
  name: 'submit',
  summary: 'run jobs on the mesh’s contributors, verified by a quorum and paid from this wallet',
  usage: `${USAGE}\n\n${SUBMIT_WORKFLOW_USAGE}`,
  async run(args, io) {
    if (args[0] === 'workflow')
      return runWorkflowCommand(
        args.slice(1),
        io,
        ({ storeDir, workers }) => startNodeEngine({ workers: workers ?? 1, storeDir, preload: [] }),
        builtinCapsules,
        openMesh,
      );
    const o = parseSubmitArgs(args);
    o.bootstrap = bootstrapOrLocal(o.bootstrap, USAGE);
    checkBootstrap(o.bootstrap, USAGE);
    const items = await inputs(o.in, io);
    const toDir =
      o.out !== '-' &&
      (items.length > 1 ||
        (() => {
          try {
            return statSync(o.out).isDirectory();
          } catch {
            return false;
          }
        })());
    if (toDir) mkdirSync(o.out, { recursive: true });
    const tty = process.stderr.isTTY === true;

    // INOS_DEBUG: every line says when (seconds since start), to see where a submission's time goes.
    const t0 = Date.now();
    const debug = (line: string) => {
      if (process.env['INOS_DEBUG']) io.writeStderr(`${line} @${((Date.now() - t0) / 1000).toFixed(2)}s\n`);
    };
    const need = Requester.needed(items.length, o);
    const file = await WalletFile.open();
    const have = (await file.wallet.balance()).available;
    if (have < need) {
      const missing = Math.ceil((need - have) / MICRO_CREDITS_PER_CREDIT);
      if (!o.mint) {
        io.writeStderr(
          `inos submit: not enough credits: ${credits(have)} available, ${credits(need)} needed ` +
            `(${Math.min(items.length, MAX_ESCROWED)} job(s) in escrow at once × budget ${o.budget} × redundancy ${o.redundancy}; ` +
            `what the runs do not use returns). Missing ${missing}: run \`inos wallet mint --credits ${missing}\`, or pass --mint.\n`,
        );
        return EXIT_BAD_INPUT;
      }
      // The escrow of the jobs in flight at once; runs spend what they used and each hold's rest
      // returns, so more is minted later (topUp) only if the runs really spend it. Minting every
      // job's whole escrow up front took minutes of proof-of-work under load for credits that
      // mostly came back unspent.
      const { mintInto } = await import('./wallet.ts');
      await mintInto(file, missing, io, tty);
      debug(`[submit] phase minted ${missing}`);
    }
    const topUp = o.mint
      ? async (micro: number) => {
          const { mintInto } = await import('./wallet.ts');
          await mintInto(file, Math.ceil(micro / MICRO_CREDITS_PER_CREDIT), io, tty);
          debug(`[submit] phase topped up ${Math.ceil(micro / MICRO_CREDITS_PER_CREDIT)}`);
        }
      : undefined;

    const ac = new AbortController();
    const onSig = () => ac.abort(new Error('cancelled (Ctrl-C): unspent budgets released'));
    process.once('SIGINT', onSig);
    const requester = await Requester.open({ bootstrap: o.bootstrap, wallet: file });
    debug('[submit] phase joined');
    try {
      const found = await requester.discover(o.library, o.waitMs, ac.signal);
      debug(`[submit] phase discovered ${found}`);
      if (found === 0) {
        io.writeStderr(
          `inos submit: no contributor offers ${o.library}.${o.method}; 0 peers have it ` +
            `(${requester.peer.port.peers().length} connected, waited ${o.waitMs / 1000} s)\n`,
        );
        return EXIT_FAILURE;
      }
      const counts = { offered: 0, claimed: 0, running: 0, verified: 0, paid: 0 };
      let spent = 0;
      const bar = progressBar(io, tty, 'submit');
      const draw = () =>
        bar.update(
          counts.verified / items.length,
          `${counts.verified}/${items.length} verified · offered ${counts.offered} claimed ${counts.claimed} ` +
            `running ${counts.running} paid ${counts.paid} · ${credits(spent)} credits`,
        );
      const jobs: SubmitJob[] = items.map((it) => ({
        capsule: o.library,
        method: o.method,
        params: o.params,
        ...(it.bytes ? { input: it.bytes } : {}),
      }));
      // Raw outputs to stdout go in input order: hold back those that finish early.
      const ready = new Map<number, JobDone | Error>();
      let flushed = 0;
      const emit = (i: number, r: JobDone | Error) => {
        if (o.json) {
          io.writeStdout(
            `${JSON.stringify(
              r instanceof Error
                ? { index: i, input: items[i]!.name, status: 'failed', error: r.message }
                : {
                    index: i,
                    input: items[i]!.name,
                    status: r.status,
                    error: r.error,
                    outputHash: r.outputHash,
                    paid: Object.fromEntries(
                      Object.entries(r.paid).map(([k, v]) => [k, v / MICRO_CREDITS_PER_CREDIT]),
                    ),
                    penalised: r.penalised,
                    runs: r.runs,
                    ...(toDir || o.out !== '-' ? {} : { output: hex(r.output) }),
                  },
            )}\n`,
          );
        }
        if (r instanceof Error) return;
        if (toDir)
          writeFileSync(join(o.out, items.length > 1 || o.in ? items[i]!.name : `job-${i}.out`), r.output);
        else if (o.out !== '-') writeFileSync(o.out, r.output);
        else if (!o.json) {
          ready.set(i, r);
          while (ready.has(flushed)) {
            const x = ready.get(flushed)!;
            ready.delete(flushed++);
            if (!(x instanceof Error)) io.writeStdout(x.output);
          }
        }
      };
      const results = await requester.submit(jobs, {
        budget: o.budget,
        redundancy: o.redundancy,
        deadlineMs: o.deadlineMs,
        signal: ac.signal,
        ...(topUp ? { topUp } : {}),
        onEvent: (e) => {
          debug(
            `[submit] job ${e.index} ${e.kind} ${e.contributor?.slice(0, 16) ?? ''} ${e.detail ?? ''}` +
              (e.bytes !== undefined ? `${e.bytes} B` : ''),
          );
          if (e.kind === 'offered') counts.offered++;
          else if (e.kind === 'claimed') counts.claimed++;
          else if (e.kind === 'running') counts.running++;
          else if (e.kind === 'verified') counts.verified++;
          else if (e.kind === 'paid') {
            counts.paid++;
            spent += e.credits ?? 0;
          }
          draw();
        },
        onResult: (i, r) => {
          if (!o.json && o.out === '-') {
            ready.set(i, r);
            while (ready.has(flushed)) {
              const x = ready.get(flushed)!;
              ready.delete(flushed++);
              if (!(x instanceof Error)) io.writeStdout(x.output);
            }
          } else emit(i, r);
        },
      });
      const failed = results
        .map((r, i) => [r, i] as const)
        .filter(([r]) => r instanceof Error || r.status !== 'ok');
      bar.done(`${results.length - failed.length}/${results.length} ok · ${credits(spent)} credits spent`);
      for (const [r, i] of failed)
        io.writeStderr(
          `inos submit: job ${i} (${items[i]!.name}): ${r instanceof Error ? r.message : `${r.status}: ${r.error}`}\n`,
        );
      const first = failed[0]?.[0];
      if (first === undefined) return EXIT_OK;
      return first instanceof Error ? EXIT_FAILURE : EXIT_BY_STATUS[first.status];
    } finally {
      process.off('SIGINT', onSig);
      await requester.close();
      debug('[submit] phase closed');
      // What still holds the event loop after the mesh peer stopped, should the process linger.
      if (process.env['INOS_DEBUG'])
        setTimeout(
          () => debug(`[submit] phase lingering ${process.getActiveResourcesInfo().join(',')}`),
          5_000,
        ).unref();
    }
  },
};

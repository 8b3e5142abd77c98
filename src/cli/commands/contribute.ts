/**
 * `inos contribute`: a headless contributor. Its own libp2p node (keyed by the wallet's identity),
 * a MeshNode and the local engine (worker threads, as `inos run`), advertising its capsules every
 * few seconds, claiming offers while a worker is free, running them and booking the payments into
 * $INOS_HOME/wallet.json. stdout: line 1 `contributing <nodeId> <PeerId>`, then one line per event.
 */
import { builtinCapsules } from '../../capsules/builtin.ts';
import { JOB_STATUSES, MarketContributor, type JobStatus } from '../../trade/index.ts';
import { walletForkWatch } from '../../trade/fork-watch.ts';
import { credits, shortId } from '../../trade/market-wallet.ts';
import { corrupt } from '../../trade/tamper.ts';
import { readFlags } from './_shared.ts';
import { CliInputError, EXIT_OK } from '../cli-error.ts';
import { defaultStoreDir, startNodeEngine } from '../node-engine.ts';
import { bootstrapOrLocal } from '../local-node.ts';
import { checkBootstrap, startMeshPeer } from '../mesh-peer.ts';
import type { Command } from '../registry.ts';
import { WalletFile } from '../wallet-file.ts';

const PRELOAD = ['crypto', 'storage', 'pow'];
/**
 * How often the advert is republished: just under the mesh's gossip limit per origin (one message
 * per 10 s, burst 2; src/mesh/protocol/guard.ts). Every 2 s, as before, got a contributor banned by
 * its \`inos node\` for flooding about 15 s after it started.
 */
const ADVERT_EVERY_MS = 11_000;
const LIBRARIES = builtinCapsules.map((c) => c.library).sort();

const USAGE = `Usage: inos contribute [--bootstrap MULTIADDR]... [--workers N] [--capsules LIST] [--for SECONDS]

Runs paid jobs for requesters on the INOS mesh with this machine's engine, and books what they pay
into this machine's wallet ($INOS_HOME/wallet.json; \`inos wallet\` shows it).

  --bootstrap ADDR   an \`inos node\` to join (the first line it prints); repeatable; default $INOS_BOOTSTRAP,
                     else the local \`inos node\` ($INOS_HOME/node.json)
  --workers N        worker threads, 1 to 16 (default 1): jobs it runs at once
  --capsules LIST    comma-separated capsule libraries it offers (default: all of ${LIBRARIES.join(', ')})
  --for SECONDS      stop by itself after this long (scripts and tests)

stdout line 1: "contributing <node id> <PeerId>"; then one line per claim, run, result and payment.`;

interface ContributeArgs {
  bootstrap: string[];
  workers: number;
  capsules: string[];
  forSeconds: number;
  corrupt: boolean;
}

export function parseContributeArgs(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ContributeArgs {
  const out: ContributeArgs = {
    bootstrap: [],
    workers: 1,
    capsules: LIBRARIES,
    forSeconds: Infinity,
    corrupt: false,
  };
  const flags = readFlags(
    args,
    {
      '--bootstrap': 'list',
      '--workers': 'value',
      '--capsules': 'value',
      '--for': 'value',
      '--test-corrupt-outputs': 'switch',
    },
    USAGE,
  );
  out.bootstrap.push(...(flags.lists.get('--bootstrap') ?? []));
  const workers = flags.values.get('--workers');
  if (workers !== undefined) {
    const n = Number(workers);
    if (!/^\d+$/.test(workers) || n < 1 || n > 16)
      throw new CliInputError(
        `--workers must be a whole number from 1 to 16, got ${JSON.stringify(workers)}`,
      );
    out.workers = n;
  }
  const capsules = flags.values.get('--capsules');
  if (capsules !== undefined) {
    const list = capsules
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = list.filter((c) => !LIBRARIES.includes(c));
    if (list.length === 0 || unknown.length > 0)
      throw new CliInputError(
        `--capsules: unknown capsule ${JSON.stringify(unknown[0] ?? '')}; allowed: ${LIBRARIES.join(', ')}`,
      );
    out.capsules = list;
  }
  const forText = flags.values.get('--for');
  if (forText !== undefined) {
    const n = Number(forText);
    if (!(n > 0)) throw new CliInputError('--for needs a positive number of seconds, e.g. --for 30');
    out.forSeconds = n;
  }
  if (flags.switches.has('--test-corrupt-outputs')) {
    // A dishonest contributor for the quorum tests; refused anywhere else.
    if (env['INOS_TEST_FLAGS'] !== '1')
      throw new CliInputError('--test-corrupt-outputs is a test-only switch (it needs INOS_TEST_FLAGS=1)');
    out.corrupt = true;
  }
  if (out.bootstrap.length === 0 && env['INOS_BOOTSTRAP'])
    out.bootstrap.push(...env['INOS_BOOTSTRAP'].split(/\s+/).filter(Boolean));
  return out;
}

const asStatus = (s: string): JobStatus =>
  (JOB_STATUSES as readonly string[]).includes(s) ? (s as JobStatus) : 'internalError';

export const contributeCommand: Command = {
  name: 'contribute',
  summary: 'run paid jobs for requesters on the mesh with this machine’s engine (headless contributor)',
  usage: USAGE,
  async run(args, io) {
    const opts = parseContributeArgs(args);
    opts.bootstrap = bootstrapOrLocal(opts.bootstrap, USAGE);
    checkBootstrap(opts.bootstrap, USAGE);
    const file = await WalletFile.open();
    const wallet = file.wallet;
    // The light offered libraries load in the workers before the first job, so a run's budget pays
    // for the job, not for a cold start (measured: a first crypto.sha256 took ~1.5 s on a busy 2-core
    // box). image (wasm-vips) and physics (Rapier) too made 3 contributors miss a 30 s start.
    const engine = startNodeEngine({
      workers: opts.workers,
      storeDir: defaultStoreDir(),
      preload: opts.capsules.filter((c) => PRELOAD.includes(c)),
    });
    await engine.ready(120_000);
    const peer = await startMeshPeer(wallet.identity, opts.bootstrap);
    const line = (s: string) => io.writeStdout(`${new Date().toISOString()} ${s}\n`);
    // A fork caught here goes to the mesh (inos/forks/1); proofs from others ban their payer here.
    const forks = walletForkWatch(peer.node, wallet, (msg, err) => line(`${msg}: ${String(err)}`));
    const stopForks = forks.start();
    const contributor = new MarketContributor({
      node: peer.node,
      chunks: peer.chunks,
      signer: wallet.identity,
      capsules: opts.capsules.map((name) => ({ name, version: 1 })),
      workers: opts.workers,
      run: async (job, signal) => {
        const o = await engine.engine.submit({
          library: job.capsule,
          method: job.method,
          params: job.params,
          ...(job.input ? { input: job.input } : {}),
          budget: job.budget,
          deadlineMs: job.deadlineMs,
          signal,
        });
        return { status: asStatus(o.status), costUsed: o.costUsed, output: o.output, error: o.error };
      },
      receive: (bundle, work) =>
        forks.guard(bundle, async () => {
          const got = await wallet.receive(bundle, work);
          await file.save();
          return got;
        }),
      acceptPledge: (bundle) =>
        forks.guard(bundle, async () => {
          const got = await wallet.acceptPledge(bundle);
          await file.save();
          return got;
        }),
      // Claims tell each requester how far its chain was audited here: it sends only newer records.
      auditedHead: (requester) => wallet.auditedHead(requester),
      redeem: async (bundle, result, work) => {
        const got = await wallet.redeem(bundle, result, work);
        await file.save();
        return got;
      },
      ...(opts.corrupt ? { tamper: corrupt } : {}),
      onEvent: (e) =>
        line(
          `${e.kind} ${e.jobId.slice(0, 12)} from ${shortId(e.requester)}` +
            (e.credits !== undefined ? ` ${credits(e.credits)} credits` : '') +
            (e.detail ? ` (${e.detail})` : ''),
        ),
    });
    contributor.start();
    io.writeStdout(`contributing ${wallet.nodeId} ${peer.port.self}\n`);
    const advertise = () => {
      void contributor.advertise(45_000).catch((err: unknown) => line(`advert failed: ${String(err)}`));
      // Pledges of results nobody paid for (the requester left) are redeemed once due.
      void contributor.redeemDue().catch((err: unknown) => line(`redeem failed: ${String(err)}`));
    };
    advertise();
    await new Promise<void>((resolve) => {
      const tick = setInterval(advertise, ADVERT_EVERY_MS);
      const stop = (): void => {
        clearInterval(tick);
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      if (Number.isFinite(opts.forSeconds)) setTimeout(stop, opts.forSeconds * 1000).unref();
    });
    contributor.stop();
    stopForks();
    await file.save();
    await peer.stop();
    await engine.dispose();
    return EXIT_OK;
  },
};

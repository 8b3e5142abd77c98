import brotliWasmUrl from 'brotli-wasm-web/brotli_wasm_bg.wasm?url';
import type { WxtBrowser } from 'wxt/browser';
import { setBrotliLoader, webBrotliLoader, type BrotliWebGlue } from '../capsules/storage/brotli-loader';
import { sendTo, serve } from '../messaging/messenger';
import type { PoolWorker } from '../pool/worker-pool';
import type { BatteryLike } from './battery-watcher';
import { ComputeHost } from './compute-host';
import type { PressureObserverCtor } from './pressure-watcher';
import { MeshHost } from './mesh-host';
import { MarketRequesterHost } from './market-requester';
import { WorkflowHost } from './workflow-host';
import { meshTestHandlers } from './mesh-test-hooks';
import { IdbReputationStore } from '../mesh/protocol/reputation-store';
import { loadOrCreateIdentity, openLedgerDb } from '../ledger';
import { migrateBrowserStore, openBrowserStoreCore } from '../capsules/storage/open-browser-store';
import { STORE_QUOTA_BYTES } from './compute-host';
import { MarketIntake } from './market-intake';

export { ComputeHost, NotIsolatedError } from './compute-host';
export { WorkflowHost } from './workflow-host';

/** The mesh's former store of its own, moved into 'inos-chunks' once and deleted. */
const FORMER_MESH_STORE = 'inos-mesh-chunks';

interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string };
}

/** Wires the compute host into the offscreen document: listeners first, synchronously, then start. */
export function startComputeHost(api: WxtBrowser, spawnWorker: (index: number) => PoolWorker): ComputeHost {
  const nav = navigator as Navigator & { getBattery?: () => Promise<BatteryLike> };
  const pressure = (globalThis as { PressureObserver?: PressureObserverCtor }).PressureObserver;
  const testHooks = import.meta.env.MODE === 'test';
  // Chunks read here (served to peers, the market's held chunks) may be brotli-compressed by the
  // workers that stored them: the document decodes them too. Loaded on the first such chunk only.
  setBrotliLoader(
    webBrotliLoader(
      () => import('brotli-wasm-web/brotli_wasm.js') as unknown as Promise<BrotliWebGlue>,
      brotliWasmUrl,
    ),
  );
  const mesh = new MeshHost({
    // The wallet key, from the IndexedDB the background shares (same extension origin): the PeerId
    // is the node id, and it survives this document being closed and recreated.
    loadSecretKey: async () => {
      const db = await openLedgerDb({ indexedDB });
      try {
        return (await loadOrCreateIdentity(db)).secretKeyBytes();
      } finally {
        db.close();
      }
    },
    // Chunks we serve and fetch: the document's one store ('inos-chunks'), owned by ComputeHost.
    chunkOwner: () => host?.chunkOwner ?? null,
    openReputationStore: () => IdbReputationStore.open('inos-reputation'),
    gpuInfo: async () => {
      const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } })
        .gpu;
      const adapter = await gpu?.requestAdapter();
      return adapter
        ? { vendor: adapter.info?.vendor ?? '', architecture: adapter.info?.architecture ?? '' }
        : null;
    },
    log: (msg, err) => console.warn(`[inos offscreen mesh] ${msg}`, err ?? ''),
  });
  const loadIdentity = async () => {
    const db = await openLedgerDb({ indexedDB });
    try {
      return await loadOrCreateIdentity(db);
    } finally {
      db.close();
    }
  };
  // The "Submit work" page's requester: files and results over a BroadcastChannel, the wallet's
  // escrow and payments in the background (runtime messages carry only those small calls).
  new MarketRequesterHost({
    mesh,
    loadIdentity,
    payments: {
      hold: (jobId, budget) => sendTo(api.runtime, 'background', 'market/hold', { jobId, budget }),
      pay: async (holdId, payee, amount, what) =>
        (await sendTo(api.runtime, 'background', 'market/pay', { holdId, payee, amount, ...what })).bundle,
      release: (holdId, reason) =>
        sendTo(api.runtime, 'background', 'market/release', { holdId, ...(reason ? { reason } : {}) }),
    },
    log: (msg, err) => console.warn(`[inos offscreen submit] ${msg}`, err ?? ''),
  });
  let host: ComputeHost | null = null;
  // Paid mesh jobs from requesters, on this document's mesh node and engine.
  const market = new MarketIntake({
    mesh,
    loadSigner: loadIdentity,
    engine: () => host?.jobEngine ?? null,
    limits: () => host?.marketLimits() ?? { decline: 'the compute host is starting', optOut: [], workers: 0 },
    notify: (n) =>
      sendTo(api.runtime, 'background', 'market/job', { ...n, instanceId: host?.instanceId ?? '' }),
    receive: async (bundle, work) =>
      (await sendTo(api.runtime, 'background', 'market/receive', { bundle, cpuMs: work.cpuMs })).credits,
    acceptPledge: (bundle) => sendTo(api.runtime, 'background', 'market/pledge', { bundle }),
    redeem: async (bundle, result, work) =>
      (await sendTo(api.runtime, 'background', 'market/redeem', { bundle, result, cpuMs: work.cpuMs }))
        .credits,
    pledgeResult: (r) => sendTo(api.runtime, 'background', 'market/pledge-result', r),
    auditedHead: async (requester) =>
      (await sendTo(api.runtime, 'background', 'market/audited-head', { requester })).head ?? undefined,
    forks: {
      forkProof: async (payer) =>
        (await sendTo(api.runtime, 'background', 'market/fork-proof', { payer })).proof ?? undefined,
      reportFork: (proof) => sendTo(api.runtime, 'background', 'market/fork', { proof }),
      storedProofs: async () =>
        (await sendTo(api.runtime, 'background', 'market/fork-proofs', undefined)).proofs,
    },
    testHooks,
    log: (msg, err) => console.warn(`[inos offscreen market] ${msg}`, err ?? ''),
  });
  // The mesh node starts (and may be recreated) on its own schedule: attach to whichever runs.
  setInterval(() => market.sync(), 1_000);
  host = new ComputeHost({
    runtime: api.runtime,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    hardwareConcurrency: navigator.hardwareConcurrency,
    spawnWorker,
    getBattery: nav.getBattery ? () => nav.getBattery!() : undefined,
    now: Date.now,
    testHooks,
    openStore: async () => {
      const opened = await openBrowserStoreCore({ quotaBytes: STORE_QUOTA_BYTES });
      // In the background: the store is usable at once; chunks not moved yet are served after.
      void migrateBrowserStore(FORMER_MESH_STORE, opened)
        .then((r) => r && console.info(`[inos offscreen] moved ${FORMER_MESH_STORE} into inos-chunks`, r))
        .catch((err: unknown) => console.warn(`[inos offscreen] ${FORMER_MESH_STORE} not moved`, err));
      return opened;
    },
    ...(testHooks ? testPoolSize() : {}),
    ...(pressure ? { pressureObserver: pressure } : {}),
    log: (msg, err) => console.warn(`[inos offscreen] ${msg}`, err ?? ''),
    workflows: new WorkflowHost({
      log: (msg, err) => console.warn(`[inos offscreen workflows] ${msg}`, err ?? ''),
    }),
    mesh,
    market,
    ...(testHooks ? { meshTestHandlers: meshTestHandlers(mesh, () => testHooks) } : {}),
  });
  serve(api.runtime, 'offscreen', host.handlers());
  host.start().catch((err: unknown) => {
    // Fail loudly: the status line shows the reason (offscreen/fatal), and so does the console.
    console.error('[inos offscreen] compute host failed to start', err);
    document.title = `INOS compute host: FAILED — ${String(err)}`;
  });
  return host;
}

/**
 * Test builds only: `localStorage['inos-test-workers']` (set by an end-to-end test from an extension
 * page) sizes the pool, so work spread over several workers can be tested on a 2-core machine.
 */
function testPoolSize(): { workers?: number } {
  const n = Number(globalThis.localStorage?.getItem('inos-test-workers'));
  return Number.isInteger(n) && n >= 1 && n <= 8 ? { workers: n } : {};
}

/**
 * Every runtime message in the extension, declared once per boundary. Small JSON commands only: bulk
 * bytes stay in the SharedArrayBuffer (see docs/ARCHITECTURE.md).
 *
 * Each entry maps a message type to its request and response. `tests/unit/messaging.test-d.ts` checks
 * that wrong payloads do not compile.
 */
import type { LifecycleState, Phase, SuspendReason } from '../lifecycle/lifecycle';
import type { Throttle } from '../scheduler/policy';
import type { BatteryReport, Pressure } from '../scheduler/signals';
import type { LedgerSummary } from '../ledger/summary';
import type { LedgerEntry } from '../ledger/receipt';
import type { PaymentBundle } from '../ledger/payments';
import type { MetricsExport } from '../workflow/metrics';
import type { WorkflowProgress, WorkflowResultView } from '../workflow/idb-state';

export type { BatteryReport } from '../scheduler/signals';
import type { Settings } from '../scheduler/settings';

/** Who a message is for. `chrome.runtime.sendMessage` reaches every extension page, so we address it. */
export type Target = 'background' | 'offscreen';

/** The offscreen mesh node, as the background sees it (small: counts and short strings only). */
export interface MeshReport {
  /** null until the node has started. */
  peerId: string | null;
  peers: number;
  /** True while we hold a relay reservation (a /p2p-circuit address): browsers can reach us. */
  relay: boolean;
  addrs: string[];
  lastError: string | null;
  /** Seconds until the next bootstrap attempt, while none is reachable. */
  retryInS: number | null;
  /** Peers whose capability advert we hold (fresh, not expired). */
  adverts: number;
}

export interface HeartbeatReport {
  instanceId: string;
  /** Lifecycle epoch the host last applied. */
  epoch: number;
  workers: number;
  workersAlive: number;
  /** The throttle in effect: workers allowed to take jobs, and their duty cycle. */
  activeWorkers: number;
  dutyPercent: number;
  jobsDone: number;
  /** Slices in flight; 0 lets a drain complete. */
  busy: number;
  /** 0..1, share of worker time spent on work since the previous heartbeat. */
  load: number;
  sentAt: number;
  /** Absent when the mesh node is not running in this host. */
  mesh?: MeshReport;
  /**
   * How long local proof-of-work has been held for chunk transfers in flight (ms; 0 or absent: not
   * held). Paid jobs are never held (transfer-hold.ts).
   */
  powHeldMs?: number;
}

export interface OffscreenDiagnostics {
  instanceId: string;
  crossOriginIsolated: boolean;
  sharedBufferBytes: number;
  layoutVersion: number;
  lifecycleCode: number;
  workers: Array<{ index: number; ready: number; expectedReady: number; heartbeat: number }>;
  battery: BatteryReport | null;
  startedAt: number;
  /** When the background answered this host's hello, and when it first received a job (Unix ms). */
  helloAt: number | null;
  firstJobAt: number | null;
}

export interface BackgroundDiagnostics {
  /** When this service-worker instance started: changes after every worker restart. */
  backgroundStartedAt: number;
  lifecycle: LifecycleState;
  /** Arrival times (ms since epoch) of the most recent heartbeats, oldest first. */
  heartbeatArrivals: number[];
  offscreenCreations: number;
  offscreen: OffscreenDiagnostics | null;
  offscreenError: string | null;
}

/** Everything the popup shows, computed in one place so the popup and `npm start` agree. */
export interface Status {
  phase: Phase;
  /** What the toggle shows: the user's own choice, independent of suspensions. */
  contribute: boolean;
  firstRun: boolean;
  reason: SuspendReason | null;
  /** One line: what is happening and why. */
  text: string;
  since: number;
  host: {
    workers: number;
    workersAlive: number;
    lastHeartbeatAt: number | null;
    error: string | null;
  };
  battery: BatteryReport | null;
  /** The limits in effect (workers, duty cycle, GPU allowed), or null before the first evaluation. */
  throttle: Throttle | null;
  snoozeUntil: number | null;
  balance: { credits: number; note: string };
  /** The mesh, from the latest heartbeat: the popup's "Network" line. */
  network: {
    text: string;
    ok: boolean;
    peerId: string | null;
    peers: number;
    /** Why the node has no peers (the mesh's last error), when it has none and knows why. */
    error?: string;
  };
  now: number;
}

/** A job for the host's engine (small JSON params; bulk input arrives through shared memory). */
export interface JobOrder {
  jobId: string;
  library: string;
  method: string;
  params: string;
  budget: number;
  deadlineMs: number;
  /** A local proof-of-work slice: the host may stop it for a paid mesh job (JobSubmission.preemptible). */
  preemptible?: boolean;
}

export interface JobDone {
  jobId: string;
  status: 'ok' | 'badInput' | 'budgetExhausted' | 'timeout' | 'cancelled' | 'internalError';
  /** The output as UTF-8 text (capsules that return JSON), or null when empty or not text. */
  outputText: string | null;
  outputBytes: number;
  costUsed: number;
  error: string;
  /** Wall time from dispatch to result. */
  ms: number;
}

/**
 * Starts a workflow in the offscreen document. `definition`: its JSON text (the form `inos run
 * workflow --params` takes); `inputHex`: its input, at most 64 KiB (bulk input does not travel by
 * message). Refused before anything runs when the definition does not check out.
 */
export interface WorkflowStart {
  definition: string;
  inputHex?: string;
}

/** Unfinished workflows (from the journal) and finished ones (newest first). */
export interface WorkflowStatus {
  unfinished: WorkflowProgress[];
  finished: WorkflowResultView[];
}

export interface EarningsView extends LedgerSummary {
  /** This node's public key (hex): the wallet's identity. */
  nodeId: string;
  /** The paid mesh jobs this browser ran lately (newest first), each zero with its reason. */
  market?: MarketJobView[];
}

/** popup (and tools) → background */
export interface BackgroundProtocol {
  'status/get': { req: undefined; res: Status };
  'contribute/set': { req: { on: boolean }; res: Status };
  'diagnostics/get': { req: undefined; res: BackgroundDiagnostics };
  'settings/get': { req: undefined; res: Settings };
  /** A partial update; invalid fields are refused with a message naming them. */
  'settings/set': { req: Partial<Settings>; res: Settings };
  /** Finish the running slices, take no new ones, then pause. */
  'lifecycle/drain': { req: undefined; res: Status };
  'lifecycle/snooze': { req: { minutes: number }; res: Status };
  /** Earnings from the ledger. Amounts are integer micro-credits (1 credit = 1,000,000). */
  'earnings/get': { req: { utcOffsetMin: number }; res: EarningsView };
  /** The wallet key as a backup text; whoever holds it can claim this node's credits. */
  /** The wallet (key and ledger) as a backup file encrypted under `passphrase` (backup.ts). */
  'identity/export': {
    req: { passphrase: string };
    res: { backup: string; warning: string; fileName: string };
  };
  /**
   * Restores a backup. Refused with IdentityError 'would-discard' when the current key still holds
   * credits and `discardCredits` is not set (the popup asks a second time).
   */
  'identity/import': {
    req: { backup: string; passphrase?: string; discardCredits?: boolean };
    res: { nodeId: string; balance: number; records: number };
  };
  /** The whole signed chain (receipts and transitions), for backups and audits. */
  'ledger/history': { req: undefined; res: LedgerEntry[] };
  /**
   * A signed record from outside (a requester's receipt, later from the mesh). Refused records are
   * kept with their reason and shown in the popup; the error names the reason.
   */
  'ledger/append': { req: { record: unknown }; res: { id: string; state: string } };
  /**
   * The requester's wallet for the "Submit work" page (src/background/market-requester.ts): balance,
   * and the escrow hold / payer-signed payment / release the offscreen MarketRequester asks for.
   * Amounts are integer micro-credits. Input and output bytes never travel here (SUBMIT_CHANNEL).
   */
  'market/balance': { req: undefined; res: MarketBalance };
  'market/hold': { req: { jobId: string; budget: number }; res: { id: string } };
  'market/pay': {
    req: { holdId: string; payee: string; amount: number; jobId: string; capsule: string; method: string };
    res: { bundle: PaymentBundle };
  };
  'market/release': { req: { holdId: string; reason?: string }; res: { released: true } };
  /** Test builds only: drive the idle state (null: follow chrome.idle again). */
  'test/set-idle': { req: { state: 'active' | 'idle' | 'locked' | null }; res: Status };
  /** Test builds only: pins "the rest of the machine's CPU use" (percent), or null for the real reading. */
  'test/set-other-cpu': { req: { percent: number | null }; res: Status };
  'offscreen/pressure': { req: { state: Pressure }; res: undefined };
  /** Runs a workflow in the offscreen document (journaled in IndexedDB; resumed after any restart). */
  'workflow/start': { req: WorkflowStart; res: { id: string } };
  /** Read straight from IndexedDB by the background: answers while the offscreen document restarts. */
  'workflow/status': { req: { id?: string }; res: WorkflowStatus };
  /** The metrics of this extension's jobs and workflows, in the shape `inos metrics --json` prints. */
  'metrics/get': { req: undefined; res: MetricsExport };
  /** A job the host finished; delivered until acknowledged (at most once accepted, by job id). */
  'offscreen/job-done': { req: JobDone; res: { ack: true } };
  /**
   * offscreen → background: a paid mesh job (src/offscreen/market-intake.ts) started or ended on this
   * host. Recorded durably in the job queue (source 'market'): while it runs it holds a worker, so
   * the scheduler dispatches that much less local proof-of-work.
   */
  'market/job': { req: MarketJobNotice; res: { ack: true } };
  /**
   * offscreen → background: a requester's payment (the small signed PaymentBundle, not bulk bytes),
   * audited and booked by the background's ledger; answers the micro-credits booked, or fails with
   * the ledger's reason (forged, replayed, uncovered, double spend…).
   */
  'market/receive': { req: { bundle: unknown; cpuMs: number }; res: { credits: number } };
  /**
   * offscreen → background: the escrow pledge an assignment carries (a small signed PledgeBundle),
   * audited by the ledger before the job runs; answers when and how much it may redeem.
   */
  'market/pledge': { req: { bundle: unknown }; res: { redeemAfter: number; amount: number } };
  /**
   * offscreen → background: redeems a pledge whose requester left (after its redeemAfter), with the
   * BLAKE3 hex of the result this browser returned; answers the micro-credits booked.
   */
  'market/redeem': { req: { bundle: unknown; result: string; cpuMs: number }; res: { credits: number } };
  /**
   * offscreen → background: the BLAKE3 hex of the result returned for a job, so the background
   * redeems its kept pledge (if any) when due, whether or not this document still exists.
   */
  'market/pledge-result': {
    req: { requester: string; jobId: string; result: string };
    res: { kept: boolean };
  };
  /**
   * offscreen → background: this wallet's audited head of a requester's chain (ledger
   * Payments.auditedChainHead; hash hex), told in each accepting claim so the requester pledges and
   * pays only the records after it (`since`); null: never audited, the requester sends its whole chain.
   */
  'market/audited-head': {
    req: { requester: string };
    res: { head: { seq: number; hash: string } | null };
  };
  /**
   * offscreen → background: a fork proof the document's mesh node checked (topic inos/forks/1),
   * booked by the ledger (Payments.reportFork): that payer's pledges and pays are refused from now on.
   */
  'market/fork': { req: { proof: unknown }; res: { payer: string } };
  /** offscreen → background: the ledger's fork proof against a payer, for the document to publish; null: none. */
  'market/fork-proof': { req: { payer: string }; res: { proof: unknown } };
  /**
   * offscreen → background: the fork proofs the ledger kept (at most 64), which the document's mesh
   * node republishes when it joins, so a peer that joined after a fork still hears of it.
   */
  'market/fork-proofs': { req: undefined; res: { proofs: unknown[] } };
  /** The paid mesh jobs this browser ran lately, newest first, each with what became of it. */
  'market/jobs': { req: undefined; res: { jobs: MarketJobView[] } };
  /** offscreen → background: the host booted and asks what it should be doing. */
  'offscreen/hello': {
    req: { instanceId: string; workers: number };
    res: { lifecycle: LifecycleState; throttle: Throttle | null; bootstrap: string[]; optOut: string[] };
  };
  /** The reply carries the current state and limits, so a host that missed a push catches up. */
  'offscreen/heartbeat': {
    req: HeartbeatReport;
    res: { lifecycle: LifecycleState; throttle: Throttle | null; bootstrap: string[]; optOut: string[] };
  };
  'offscreen/battery': { req: BatteryReport; res: undefined };
  'offscreen/fatal': {
    req: { instanceId: string; kind: 'not-isolated' | 'startup-failed'; message: string };
    res: undefined;
  };
}

/** A paid mesh job on this host, as the offscreen document reports it to the background. */
export interface MarketJobNotice {
  instanceId: string;
  /** The requester's job id (hex). */
  jobId: string;
  /** The requester's node id (hex public key). */
  requester: string;
  capsule: string;
  method: string;
  /** Credits the run may spend. */
  budget: number;
  deadlineMs: number;
  /** running: it holds a worker; returned: its signed result went back; failed: it did not finish. */
  phase: 'running' | 'returned' | 'failed';
  /** The engine's status and cost, once it ended. */
  status?: string;
  costUsed?: number;
  error?: string;
}

/** A paid mesh job for the popup: what it paid and, for a zero, why. */
export interface MarketJobView {
  jobId: string;
  requester: string;
  capsule: string;
  method: string;
  state: 'running' | 'awaiting payment' | 'paid' | 'not paid' | 'failed';
  /** Micro-credits booked for it (0 until paid). */
  credits: number;
  /** Why it is zero, in words; '' once paid. */
  reason: string;
  at: number;
}

/** background → offscreen */
export interface OffscreenProtocol {
  'lifecycle/apply': { req: { lifecycle: LifecycleState }; res: { applied: number } };
  'throttle/apply': { req: Throttle; res: { workers: number; dutyPercent: number; gpu: boolean } };
  /**
   * The settings the document acts on changed (pushed by settings/set, so a new opt-out reaches the
   * mesh advert at once rather than with the next heartbeat).
   */
  'settings/apply': { req: { optOut: string[]; bootstrap: string[] }; res: { applied: true } };
  /** Queue a job; the result comes back as offscreen/job-done. A repeated job id is ignored. */
  /** `hostId`: the instanceId of the host that took the order (its jobs die with it). */
  'jobs/submit': { req: JobOrder; res: { accepted: boolean; duplicate: boolean; hostId: string } };
  /** Test builds only: pretend the power source changed (null: follow the Battery API again). */
  'test/set-power': { req: { charging: boolean; level: number } | null; res: undefined };
  /**
   * Test builds only: runs one storage job (put/get/has/delete) on the host's engine with `input`
   * (base64, or `generated`: testInputBytes(seed, bytes) made in the document, so multi-MB inputs do
   * not cross runtime messaging), as a job from the mesh would, and says which workers a put's
   * pieces went to. The output comes back whole up to 1 MiB, and always as its SHA-256. `library`
   * 'ml' runs an `ml` job instead (an `infer` whose model a storage.put left in the store).
   */
  'test/storage-job': {
    req: {
      library?: 'storage' | 'ml';
      method: string;
      params: string;
      inputB64: string;
      generated?: { seed: number; bytes: number };
    };
    res: {
      status: string;
      error: string;
      outputB64: string;
      outputSha256: string;
      worker: number;
      /** Wall time from dispatch to result. */
      ms: number;
      fanout: { pieces: number; helperPieces: number; workers: number[] } | null;
    };
  };
  'diagnostics/get': { req: undefined; res: OffscreenDiagnostics };
  /**
   * Test builds only: this contributor corrupts the outputs of its paid mesh jobs (a dishonest
   * contributor for the quorum's end-to-end test). Refused in other builds.
   */
  'test/market-tamper': { req: { on: boolean }; res: { on: boolean } };
  'workflow/start': { req: WorkflowStart; res: { id: string } };
  'metrics/get': { req: undefined; res: MetricsExport };
  /**
   * Test builds only (src/offscreen/mesh-test-hooks.ts): drive the mesh node. Chunk bytes are made
   * and checked inside the document; only hashes and counts cross runtime messages.
   */
  'test/mesh-put-chunks': { req: MeshPutChunksReq; res: { hashes: string[]; ms: number } };
  'test/mesh-fetch': { req: { hashes: string[]; parallel?: number; timeoutMs?: number }; res: MeshFetchRes };
  /** Chunks answered so far by the fetch in progress (for closing a provider mid-transfer). */
  'test/mesh-progress': {
    req: undefined;
    res: {
      chunksOk: number;
      /** Requests this node answered so far, and the time (ms, summed) in each phase. */
      served?: { requests: number; handlerMs: number; writeMs: number; closeMs: number };
      /** The chunk exchange's phases (ExchangePhases) and the store reads' (ReadTimings), ms summed. */
      exchange?: Record<string, number>;
      read?: Record<string, number>;
    };
  };
  'test/mesh-adverts': {
    req: undefined;
    res: {
      peers: string[];
      capsules: Record<string, string[]>;
      workers: Record<string, number>;
      /** Periodic advert refresh ticks of this node so far (an advert seen before one came from a change). */
      refreshes: number;
    };
  };
  'test/mesh-dht': { req: { op: 'put' | 'get'; key: string; value?: string }; res: { value: string | null } };
  /**
   * A fresh direct connection to `peer` (closing any first), timed: through the relay and the WebRTC
   * upgrade for a browser, or to `addr` when given (a Node peer's webrtc-direct/ws address).
   */
  'test/mesh-dial': { req: { peer: string; addr?: string }; res: { ms: number; remoteAddr: string } };
  /**
   * bench:mesh's middle layer: one bare libp2p stream (`/inos/bench/1`, no chunk exchange, no store).
   * 'serve' makes this node count what arrives and answer one byte; 'send' writes `bytes` in
   * `pieceBytes` writes to `peer` over its direct connection (dialling it first) and times it to that byte.
   * With `addr`, over a connection to that multiaddr (an open one whose remoteAddr it is, else a new
   * dial of it): bench:mesh compares transports to one peer; `remoteAddr` says which one carried it.
   */
  'test/mesh-stream': {
    req: { op: 'serve' } | { op: 'send'; peer: string; bytes: number; pieceBytes: number; addr?: string };
    res: { ms: number; remoteAddr: string };
  };
  /**
   * bench:mesh-stripe: `bytes` split evenly over `streams` parallel bare libp2p streams
   * (`/inos/bench-streams/1`; in @libp2p/webrtc each is its own data channel of one SCTP association).
   * 'serve' makes this node count each stream and answer one byte; 'send' opens the streams to `peer`
   * over its direct connection, writes them concurrently and times it to the last stream's byte.
   */
  'test/mesh-streams': {
    req: { op: 'serve' } | { op: 'send'; peer: string; bytes: number; pieceBytes: number; streams: number };
    res: { ms: number; remoteAddr: string; perStreamMs: number[] };
  };
  /**
   * Counts what this node's guard and port judged from peers other than `exclude` since the last
   * 'start' (the hostile-browser slow test counts its frames at the victim with it): streams (each
   * /inos/chunks/2 frame is one) admitted and refused by PeerGuard, frames the port refused as
   * oversize or malformed before any handler, and how many distinct peers did either.
   */
  'test/mesh-guard': {
    req: { op: 'start' | 'read'; exclude?: string[] };
    res: { admitted: number; refused: number; abuse: number; peers: number };
  };
  /** What this node thinks of `peer`: reputation score, ban, live connections. */
  'test/mesh-peer': {
    req: { peer: string };
    res: { score: number; bannedUntil: number; connections: number; addrs: string[] };
  };
}

export interface MeshPutChunksReq {
  /** Chunk i is BLAKE3-XOF(`inos-mesh-e2e:${seed}:${i}`, chunkBytes): the test recomputes it. */
  seed: number;
  chunks: number;
  chunkBytes: number;
  /** Announce the chunks as DHT provider records (default true). */
  announce?: boolean;
  /**
   * Compressible chunks (testTextChunk) stored brotli-compressed, as pool workers store such chunks,
   * instead of random bytes stored raw (default false).
   */
  compressible?: boolean;
}

export interface MeshFetchRes {
  ok: number;
  failed: Array<{ hash: string; error: string }>;
  bytes: number;
  /** BLAKE3 (hex) of the fetched chunks concatenated in request order, recomputed here. */
  digest: string;
  /** Per provider: chunks it delivered, and attempts that failed (with the error code). */
  byPeer: Record<string, { ok: number; failed: string[] }>;
  ms: number;
  /** Where the fetch's time went: request phases summed over requests (ms), and our verify time. */
  phases?: { requests: number; openMs: number; writeMs: number; readMs: number; closeMs: number };
  /** The fetch's chunk exchange phases (ExchangePhases, ms summed) and storing what arrived (ms). */
  exchange?: Record<string, number>;
  storeMs?: number;
}

export interface MarketBalance {
  nodeId: string;
  /** Micro-credits: settled received − paid; `held` is in escrow; `available` = balance − held. */
  balance: number;
  held: number;
  available: number;
  spent: number;
}

/**
 * The "Submit work" page ↔ the offscreen document's market requester (src/offscreen/market-requester.ts).
 * Both are same-origin extension pages: a BroadcastChannel carries the files' bytes and the results
 * by structured clone, so bulk bytes never go through runtime messaging.
 */
export const SUBMIT_CHANNEL = 'inos-submit';

export interface SubmitCapsuleInfo {
  library: string;
  methods: { name: string; summary: string; schema: Record<string, unknown> | null }[];
}

export type SubmitChannelRequest =
  | { type: 'hello' }
  | {
      type: 'submit';
      runId: string;
      capsule: string;
      method: string;
      /** JSON object text. */
      params: string;
      budget: number;
      redundancy: number;
      deadlineMs: number;
      /** One job per file, results in this order; no file: one job without input. */
      files: { name: string; bytes: Uint8Array }[];
    }
  | { type: 'cancel'; runId: string };

export type SubmitChannelReply =
  | {
      type: 'ready';
      /** The mesh node runs (null: it does not, and why). */
      mesh: { peers: number; adverts: number } | null;
      meshError: string | null;
      capsules: SubmitCapsuleInfo[];
    }
  | {
      type: 'event';
      runId: string;
      index: number;
      kind: string;
      contributor?: string;
      credits?: number;
      detail?: string;
    }
  | {
      type: 'result';
      runId: string;
      index: number;
      status: string;
      error: string;
      output: Uint8Array | null;
      /** Micro-credits paid for this job. */
      paid: number;
      contributors: string[];
    }
  | { type: 'done'; runId: string; cancelled: boolean }
  | { type: 'refused'; runId: string; message: string };

export interface ProtocolByTarget {
  background: BackgroundProtocol;
  offscreen: OffscreenProtocol;
}

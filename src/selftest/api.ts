/**
 * `globalThis.inosSelfTest` on the test build's selftest.html: async functions returning plain JSON,
 * called from Playwright with `page.evaluate` (tests/e2e/browser-engine.e2e.test.ts,
 * bench/chromium/run.ts). Results report what happened; the caller decides what must hold.
 */
import type { ArenaCheckResult } from './arena-check.ts';
import type { BusBench, BusBenchOptions } from './bus-bench.ts';
import type { ChachaThroughput } from './chacha-bench.ts';
import type { CryptoVectorsResult } from './crypto-vectors.ts';
import type { DispatchLatency, DispatchSpin } from './dispatch-latency.ts';
import type { PhysicsGoldenResult } from './physics-check.ts';
import type { PowBlockResult, PowCpuMhps, PowGpuResult } from './pow-check.ts';
import type { RingCheckResult } from './ring-check.ts';
import type { ShaderJobResult, ShaderMatmulResult } from './shader-check.ts';
import type { MlJobResult } from './ml-check.ts';
import type { ImageJobResult, PageMemory, PoolStart } from './image-check.ts';
import type { BrotliResult, ChunkGetResult, StoredBlob, TamperResult } from './storage-check.ts';

export interface SelfTestInfo {
  crossOriginIsolated: boolean;
  sharedArrayBuffer: boolean;
  hardwareConcurrency: number;
  userAgent: string;
  webgpu: boolean;
  poolWorkers: number;
  /** Smallest step of performance.now() seen on this page, in µs (latencies are multiples of it). */
  timerResolutionUs: number;
}

export interface SelfTestApi {
  info(): Promise<SelfTestInfo>;
  ringAcrossWorkers(frames: number): Promise<RingCheckResult>;
  arenaAcrossWorkers(opts?: { workers?: number; ops?: number }): Promise<ArenaCheckResult>;
  cryptoVectors(): Promise<CryptoVectorsResult>;
  chachaThroughput(bytes?: number, rounds?: number): Promise<ChachaThroughput>;
  dispatchLatency(n: number, spin?: Partial<DispatchSpin>): Promise<DispatchLatency>;
  busBench(opts?: BusBenchOptions): Promise<BusBench>;
  chunkStoreRoundTrip(): Promise<StoredBlob>;
  chunkStoreGet(address: string): Promise<ChunkGetResult>;
  chunkStoreTamper(): Promise<TamperResult>;
  brotliRoundTrip(): Promise<BrotliResult>;
  powBlocks(): Promise<PowBlockResult[]>;
  powGpu(measureMs?: number): Promise<PowGpuResult>;
  powCpuMhps(opts?: { ms?: number; rounds?: number; workers?: number }): Promise<PowCpuMhps>;
  physicsGolden(): Promise<PhysicsGoldenResult>;
  shaderJobs(): Promise<ShaderJobResult[]>;
  shaderMatmul(n: number, rounds?: number): Promise<ShaderMatmulResult>;
  mlJob(method: string, inputBase64: string, params?: string): Promise<MlJobResult>;
  imageJob(method: string, inputBase64: string, params?: string): Promise<ImageJobResult>;
  poolStart(): Promise<PoolStart>;
  pageMemory(): Promise<PageMemory>;
}

/** How Playwright reaches the API inside the page. */
export interface SelfTestGlobal {
  inosSelfTest: SelfTestApi;
}

export type {
  ArenaCheckResult,
  BrotliResult,
  BusBench,
  ChachaThroughput,
  ChunkGetResult,
  CryptoVectorsResult,
  DispatchLatency,
  PhysicsGoldenResult,
  PowBlockResult,
  PowCpuMhps,
  PowGpuResult,
  MlJobResult,
  ImageJobResult,
  PageMemory,
  PoolStart,
  RingCheckResult,
  ShaderJobResult,
  ShaderMatmulResult,
  StoredBlob,
  TamperResult,
};

/** Builds the self-test API over one SelfTestHost and publishes it as `globalThis.inosSelfTest`. */
import type { SelfTestApi, SelfTestGlobal } from './api.ts';
import { arenaAcrossWorkers } from './arena-check.ts';
import { busBench } from './bus-bench.ts';
import { chachaThroughput } from './chacha-bench.ts';
import { cryptoVectors } from './crypto-vectors.ts';
import { dispatchLatency } from './dispatch-latency.ts';
import { POOL_WORKERS, SelfTestHost, type SelfTestSpawners } from './host.ts';
import { physicsGolden } from './physics-check.ts';
import { powBlocks, powCpuMhps, powGpu } from './pow-check.ts';
import { ringAcrossWorkers } from './ring-check.ts';
import { shaderJobs, shaderMatmul } from './shader-check.ts';
import { mlJob } from './ml-check.ts';
import { imageJob, pageMemory, poolStart } from './image-check.ts';
import { brotliRoundTrip, chunkStoreGet, chunkStoreRoundTrip, chunkStoreTamper } from './storage-check.ts';

function timerResolutionUs(): number {
  let step = Infinity;
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    let t = t0;
    while (t === t0) t = performance.now();
    step = Math.min(step, t - t0);
  }
  return Math.round(step * 1e4) / 10;
}

export function createSelfTest(spawn: SelfTestSpawners): SelfTestApi {
  const host = new SelfTestHost(spawn);
  return {
    info: async () => ({
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
      sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
      hardwareConcurrency: navigator.hardwareConcurrency,
      userAgent: navigator.userAgent,
      webgpu: 'gpu' in navigator,
      poolWorkers: POOL_WORKERS,
      timerResolutionUs: timerResolutionUs(),
    }),
    ringAcrossWorkers: (frames) => ringAcrossWorkers(host, frames),
    arenaAcrossWorkers: (opts) => arenaAcrossWorkers(host, opts),
    cryptoVectors: () => cryptoVectors(host),
    chachaThroughput: async (bytes, rounds) => chachaThroughput(bytes, rounds),
    dispatchLatency: (n, spin) => dispatchLatency(host, n, spin),
    busBench: (opts) => busBench(host, opts),
    chunkStoreRoundTrip: () => chunkStoreRoundTrip(host),
    chunkStoreGet: (address) => chunkStoreGet(host, address),
    chunkStoreTamper: () => chunkStoreTamper(host),
    brotliRoundTrip: () => brotliRoundTrip(host),
    powBlocks: () => powBlocks(host),
    powGpu: (measureMs) => powGpu(measureMs),
    powCpuMhps: (opts) => powCpuMhps(host, opts),
    physicsGolden: () => physicsGolden(host),
    shaderJobs: () => shaderJobs(host),
    shaderMatmul: (n, rounds) => shaderMatmul(host, n, rounds),
    mlJob: (method, input, params) => mlJob(host, method, input, params),
    imageJob: (method, input, params) => imageJob(host, method, input, params),
    poolStart: () => poolStart(host),
    pageMemory: () => pageMemory(),
  };
}

/** Publishes the API and marks the page ready (the e2e test waits for `data-ready` on <html>). */
export function installSelfTest(target: typeof globalThis, spawn: SelfTestSpawners): SelfTestApi {
  const api = createSelfTest(spawn);
  (target as typeof globalThis & SelfTestGlobal).inosSelfTest = api;
  document.documentElement.dataset['ready'] = 'true';
  return api;
}

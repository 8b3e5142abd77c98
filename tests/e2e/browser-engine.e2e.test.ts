/**
 * What the unit tests prove in Node, proved again in a real Chromium: the test build's selftest.html
 * (src/selftest) runs its own job bus, WorkerPool (the real pool-worker.ts Workers) and JobEngine,
 * and reports plain JSON through `globalThis.inosSelfTest`. No timing assertions here (the machine
 * is shared): bench/chromium/run.ts measures.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCK_VECTORS } from '../../src/capsules/pow/vectors';
import type { SelfTestGlobal } from '../../src/selftest';
import { launchExtension, type ExtensionUnderTest } from './_extension';

const ROOT = resolve(import.meta.dirname, '..', '..');

let ext: ExtensionUnderTest;
let page: Page;
const pageErrors: string[] = [];

async function openSelfTest(): Promise<Page> {
  const p = await ext.context.newPage();
  p.on('pageerror', (e) => pageErrors.push(String(e)));
  await p.goto(`chrome-extension://${ext.extensionId}/selftest.html`);
  await p.waitForFunction(() => document.documentElement.dataset['ready'] === 'true');
  return p;
}

beforeAll(async () => {
  ext = await launchExtension({ testBuild: true });
  page = await openSelfTest();
});
afterAll(async () => {
  await ext?.close();
});

describe('the self-test page', () => {
  it('is cross-origin isolated and ships only in the test build', async () => {
    const info = await page.evaluate(() => (globalThis as unknown as SelfTestGlobal).inosSelfTest.info());
    expect(info.crossOriginIsolated).toBe(true);
    expect(info.sharedArrayBuffer).toBe(true);
    expect(existsSync(join(ROOT, '.output', 'chrome-mv3-test', 'selftest.html'))).toBe(true);
    const prod = join(ROOT, '.output', 'chrome-mv3');
    if (!existsSync(join(prod, 'manifest.json')))
      throw new Error(`${prod} is missing: run \`npm run build\` first (npm test does)`);
    expect(existsSync(join(prod, 'selftest.html')), 'selftest.html leaked into the production build').toBe(
      false,
    );
  });
});

describe('the shared-memory bus across real Workers', () => {
  it('passes every ring frame, in order and with a matching checksum, worker → document and worker → worker', async () => {
    const r = await page.evaluate(() =>
      (globalThis as unknown as SelfTestGlobal).inosSelfTest.ringAcrossWorkers(20_000),
    );
    for (const run of [r.workerToDocument, r.workerToWorker]) {
      expect(run, `${run.producer} → ${run.consumer}`).toMatchObject({
        sent: 20_000,
        received: 20_000,
        badChecksums: 0,
        outOfOrder: 0,
      });
      expect(run.consumerChecksum).toBe(run.producerChecksum);
      expect(run.consumerBytes).toBe(run.producerBytes);
      // The 4 KiB ring wrapped hundreds of times: wrap-around and back-pressure were exercised.
      expect(run.laps).toBeGreaterThan(100);
    }
  });

  it('hands out no overlapping arena blocks to Workers allocating concurrently', async () => {
    const r = await page.evaluate(() =>
      (globalThis as unknown as SelfTestGlobal).inosSelfTest.arenaAcrossWorkers({ workers: 4, ops: 20_000 }),
    );
    expect(r.overlaps).toBe(0);
    expect(r.patternErrors).toBe(0);
    expect(r.ownersLeft).toBe(0);
    expect(r.after.liveAllocations).toBe(0);
    expect(r.after.freeBytes).toBe(r.after.capacityBytes);
    expect(r.after.totalAllocs).toBe(r.after.totalFrees);
    expect(r.after.totalAllocs).toBeGreaterThan(10_000);
    expect(r.bytesVerified).toBeGreaterThan(0);
  });

  it('runs empty jobs through the engine and back (dispatch round trip)', async () => {
    const r = await page.evaluate(() =>
      (globalThis as unknown as SelfTestGlobal).inosSelfTest.dispatchLatency(200),
    );
    expect(r.allCorrect).toBe(true);
    expect(r.jobs).toBe(200);
    expect(Number.isFinite(r.p50Us) && r.p50Us > 0).toBe(true);
  });
});

describe('capsules in pool Workers', () => {
  it('passes every official crypto vector (NIST SHA-2, BLAKE3, RFC 4231, RFC 8032, RFC 8439, GCM)', async () => {
    const r = await page.evaluate(() =>
      (globalThis as unknown as SelfTestGlobal).inosSelfTest.cryptoVectors(),
    );
    expect(r.results.filter((v) => !v.pass)).toEqual([]);
    // Counts per fixture, so an emptied or renamed fixture fails here instead of passing vacuously.
    expect(r.suites).toEqual({
      'SHA-2 (FIPS 180-4)': 10,
      BLAKE3: 22,
      'HMAC-SHA256 (RFC 4231)': 6,
      'Ed25519 (RFC 8032)': 9,
      'ChaCha20-Poly1305 (RFC 8439)': 2,
      'AES-GCM (GCM spec)': 4,
    });
    expect(r.passed).toBe(r.total);
    // Both pool workers took jobs.
    expect(new Set(r.results.map((v) => v.worker)).size).toBe(2);
  });

  it('compiles the ChaCha20-Poly1305 WebAssembly SIMD kernel on the page (no silent noble fallback)', async () => {
    const r = await page.evaluate(() =>
      (globalThis as unknown as SelfTestGlobal).inosSelfTest.chachaThroughput(64 << 10, 1),
    );
    expect(r.kernel).toBe(true);
    expect(r.wasmMBps).toBeGreaterThan(0);
  });

  it('brotli-compresses and decompresses through the storage capsule, and refuses the brotli bomb', async () => {
    const r = await page.evaluate(() =>
      (globalThis as unknown as SelfTestGlobal).inosSelfTest.brotliRoundTrip(),
    );
    expect(r.compressStatus).toBe('ok');
    expect(r.decompressStatus).toBe('ok');
    expect(r.roundTripEqual).toBe(true);
    expect(r.compressedBytes).toBeLessThan(r.inputBytes / 2);
    expect(r.bomb.status).toBe('badInput');
    expect(r.bomb.error).toMatch(/decompression bomb/);
  });

  it('reproduces the golden physics state hashes (10,000 steps) on both pool Workers', async () => {
    const r = await page.evaluate(() =>
      (globalThis as unknown as SelfTestGlobal).inosSelfTest.physicsGolden(),
    );
    expect(r.rapierSteps).toBe(10_000);
    expect(r.runs.map((x) => x.scene)).toEqual(['tower', 'shapes', 'joints']);
    for (const run of r.runs) {
      expect(run.status, `${run.scene} on worker ${run.worker}: ${run.error}`).toBe('ok');
      expect(run.stateHash, `${run.scene} on worker ${run.worker}`).toBe(run.expected);
    }
    // Both Workers reproduced golden hashes (every scene on every worker: the Node unit test).
    expect(new Set(r.runs.map((x) => x.worker))).toEqual(new Set([0, 1]));
  }, 300_000);

  it('finds the real nonce of every block vector on the CPU path (pow.search jobs)', async () => {
    const r = await page.evaluate(() => (globalThis as unknown as SelfTestGlobal).inosSelfTest.powBlocks());
    expect(r.map((b) => b.height)).toEqual(BLOCK_VECTORS.map((v) => v.height));
    for (const b of r) {
      expect(b, `block ${b.height}`).toMatchObject({ status: 'ok', found: true, pass: true });
      expect(b.nonce).toBe(b.expectedNonce);
      expect(b.hash).toBe(b.expectedHash);
    }
  });

  it('finds the real nonces on the GPU path (WebGPU; SwiftShader on a GPU-less machine)', async () => {
    const r = await page.evaluate(() => (globalThis as unknown as SelfTestGlobal).inosSelfTest.powGpu(500));
    if (r.adapter === null)
      throw new Error(
        `no WebGPU adapter in this Chromium (${r.error ?? 'no error'}): it must be launched with ` +
          '--enable-unsafe-webgpu (scripts/launch.mjs passes it), which gives SwiftShader on a machine without a GPU',
      );
    expect(r.error).toBeUndefined();
    expect(r.checks.filter((c) => !c.pass)).toEqual([]);
    expect(r.checks.map((c) => c.name)).toEqual([
      ...BLOCK_VECTORS.map((v) => `block ${v.height}`),
      'random header vs CPU',
    ]);
    expect(r.ok).toBe(true);
    expect(r.mhps).toBeGreaterThan(0);
  });
});

describe('the browser chunk store (OPFS + IndexedDB)', () => {
  it('keeps a blob across a page reload', async () => {
    const stored = await page.evaluate(() =>
      (globalThis as unknown as SelfTestGlobal).inosSelfTest.chunkStoreRoundTrip(),
    );
    expect(stored.address).toMatch(/^[0-9a-f]{64}$/);
    await page.reload();
    await page.waitForFunction(() => document.documentElement.dataset['ready'] === 'true');
    const got = await page.evaluate(
      (address) => (globalThis as unknown as SelfTestGlobal).inosSelfTest.chunkStoreGet(address),
      stored.address,
    );
    expect(got).toEqual(stored);
  });

  it('detects a chunk file tampered with in OPFS, drops it, and stores a good copy again', async () => {
    const r = await page.evaluate(() =>
      (globalThis as unknown as SelfTestGlobal).inosSelfTest.chunkStoreTamper(),
    );
    expect(r.readBeforeTamper).toBe(true);
    expect(r.error?.name).toBe('ChunkCorruptError');
    expect(r.isChunkCorruptError).toBe(true);
    expect(r.error?.message).toContain(r.address);
    expect(r.damagedFileRemoved).toBe(true);
    expect(r.readableAfterPutAgain).toBe(true);
  });

  it('raised no uncaught error in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});

/**
 * The storage capsule's chunk store in the extension itself (test build): jobs run in the offscreen
 * document's pool workers, which reach the document's single store owner through a port each
 * (store-owner.ts). A put → get round trip equals the input, survives the offscreen document being
 * closed and recreated, and a multi-MB put spreads its pieces over more than one worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchExtension, waitFor, type ExtensionUnderTest } from './_extension';
import type { PageChrome } from './_page-globals';
import { createHash } from 'node:crypto';
import { seedFromEnv } from '../unit/_prng';
import { testInputBytes } from '../../src/offscreen/test-input';

const SEED = seedFromEnv(0x5e0);
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const WORKERS = 3;

let ext: ExtensionUnderTest;

/** Runs a storage job in the extension; `generated` inputs are made in the offscreen document. */
async function job(
  method: string,
  params: unknown,
  input: Uint8Array | { seed: number; bytes: number } = new Uint8Array(0),
) {
  const t0 = Date.now();
  const r = await ext.askOffscreen('test/storage-job', {
    method,
    params: JSON.stringify(params),
    ...(input instanceof Uint8Array ? { inputB64: b64(input) } : { inputB64: '', generated: input }),
  });
  const bytes = input instanceof Uint8Array ? input.length : input.bytes;
  console.info(
    `storage.${method} of ${bytes} B: ${r.status} on worker ${r.worker}, job ${Math.round(r.ms)} ms, round trip ${Date.now() - t0} ms${r.fanout ? `, fanout ${JSON.stringify(r.fanout)}` : ''}`,
  );
  return r;
}

async function restartHost(): Promise<void> {
  const before = await ext.ask('diagnostics/get');
  const sw = await ext.serviceWorker();
  await sw.evaluate(() => (globalThis as unknown as { chrome: PageChrome }).chrome.offscreen.closeDocument());
  await waitFor(
    () => ext.ask('diagnostics/get'),
    (d) =>
      !!d.offscreen &&
      d.offscreen.instanceId !== before.offscreen?.instanceId &&
      d.offscreen.workers.length === WORKERS &&
      d.offscreen.workers.every((w) => w.ready === w.expectedReady),
    { timeoutMs: 60_000, what: `a new host with ${WORKERS} ready workers` },
  );
  await waitFor(
    () => ext.ask('status/get'),
    (s) => s.phase === 'running' && s.host.workersAlive === WORKERS,
    { timeoutMs: 30_000, what: `the new host running ${WORKERS} workers` },
  );
}

beforeAll(async () => {
  ext = await launchExtension({ testBuild: true });
  // No local proof-of-work slices: the workers stay free for the storage jobs under test.
  await ext.ask('settings/set', { optOut: ['pow'], active: { workers: WORKERS, dutyPercent: 100 } });
  // The test build sizes its pool from this (a 2-core machine would otherwise get one worker).
  const page = await ext.openPopup();
  await page.evaluate((n) => localStorage.setItem('inos-test-workers', String(n)), WORKERS);
  await page.close();
  await ext.ask('contribute/set', { on: true });
  await restartHost();
}, 120_000);

afterAll(async () => {
  await ext?.close();
});

describe(`storage jobs in the extension's workers (SEED=${SEED})`, () => {
  it('put → get round trip equals the input, and survives closing the offscreen document', async () => {
    const small = testInputBytes(SEED, 300_000);
    const put = await job('put', {}, small);
    expect(put.error).toBe('');
    expect(put.status).toBe('ok');
    const address = Buffer.from(put.outputB64, 'base64').toString('hex');
    expect(address).toMatch(/^[0-9a-f]{64}$/);

    const got = await job('get', { address });
    expect(got.status).toBe('ok');
    expect(Buffer.from(got.outputB64, 'base64').equals(Buffer.from(small))).toBe(true);
    expect((await job('has', { address })).outputB64).toBe(b64(Uint8Array.of(1)));

    await restartHost();
    const again = await job('get', { address });
    expect(again.error).toBe('');
    expect(Buffer.from(again.outputB64, 'base64').equals(Buffer.from(small))).toBe(true);
    expect((await job('delete', { address })).outputB64).toBe(b64(Uint8Array.of(1)));
    expect((await job('has', { address })).outputB64).toBe(b64(Uint8Array.of(0)));
    const gone = await job('get', { address });
    expect(gone.status).toBe('badInput');
    expect(gone.error).toMatch(/no chunk with address/);
  }, 180_000);

  it('putBlob of a multi-MB input compresses its pieces on more than one worker', async () => {
    const big = { seed: SEED + 1, bytes: 3 << 20 };
    const put = await job('put', { chunkSize: 256 << 10, quality: 5 }, big);
    expect(put.error).toBe('');
    expect(put.status).toBe('ok');
    expect(put.fanout).not.toBeNull();
    expect(put.fanout!.pieces).toBe(12);
    expect(put.fanout!.helperPieces).toBeGreaterThan(0);
    expect(put.fanout!.workers.length).toBeGreaterThan(1);
    expect(put.fanout!.workers).toContain(put.worker);
    const address = Buffer.from(put.outputB64, 'base64').toString('hex');
    const got = await job('get', { address });
    expect(got.error).toBe('');
    expect(got.outputSha256).toBe(sha256(testInputBytes(big.seed, big.bytes)));
  }, 180_000);
});

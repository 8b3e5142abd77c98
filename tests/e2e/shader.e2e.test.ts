/**
 * The shader capsule in a real Chromium: known-answer kernels and hostile WGSL as jobs on the
 * self-test page's pool Workers, with WebGPU in the Worker (SwiftShader under --enable-unsafe-webgpu
 * on a machine without a GPU). No timing assertions: bench:shader measures.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SelfTestGlobal } from '../../src/selftest';
import { launchExtension, type ExtensionUnderTest } from './_extension';

let ext: ExtensionUnderTest;
let page: Page;

beforeAll(async () => {
  ext = await launchExtension({ testBuild: true });
  page = await ext.context.newPage();
  await page.goto(`chrome-extension://${ext.extensionId}/selftest.html`);
  await page.waitForFunction(() => document.documentElement.dataset['ready'] === 'true');
});
afterAll(async () => {
  await ext?.close();
});

describe('shader jobs in Chromium pool Workers (WebGPU)', () => {
  it('computes vector add, prefix sum and matmul right; hostile WGSL fails clearly and the worker recovers', async () => {
    const r = await page.evaluate(() => (globalThis as unknown as SelfTestGlobal).inosSelfTest.shaderJobs());
    expect(r.map((x) => x.name)).toEqual([
      'vector add u32 n=4096',
      'prefix sum u32 n=10000',
      'matmul f32 64×64',
      'endless loop',
      'vector add after endless loop',
      'invalid code',
      'vector add after invalid code',
      'huge dispatch',
      'vector add after huge dispatch',
    ]);
    for (const x of r) expect(x, JSON.stringify(x)).toMatchObject({ pass: true });
  }, 120_000);
});

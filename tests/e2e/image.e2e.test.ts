/**
 * The image capsule in Chromium pool Workers: wasm-vips loaded from the extension's vips/ folder (glue
 * rewritten without eval by scripts/vips-csp.mjs, the same vips.wasm as Node) must give byte-identical
 * outputs to the same jobs in Node, for a set of methods and all four codecs; a corrupt input fails
 * with a clear error and the worker keeps serving jobs. Inputs are made here by ImageMagick.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SelfTestGlobal } from '../../src/selftest';
import { seedFromEnv } from '../unit/_prng';
import { haveTools, makeImage, read, runImage, Scratch } from '../unit/capsules/image/_harness';
import { wasmVipsLib } from '../../scripts/vips-csp.mjs';
import { TEST_EXTENSION_DIR } from '../../scripts/launch.mjs';
import { launchExtension, type ExtensionUnderTest } from './_extension';

const SEED = seedFromEnv(0x1a6e_e2e);
const tools = haveTools('convert');
const s = new Scratch();
let ext: ExtensionUnderTest;
let page: Page;

beforeAll(async () => {
  if (!tools) return;
  ext = await launchExtension({ testBuild: true });
  page = await ext.context.newPage();
  await page.goto(`chrome-extension://${ext.extensionId}/selftest.html`);
  await page.waitForFunction(() => document.documentElement.dataset['ready'] === 'true');
});
afterAll(async () => {
  await ext?.close();
  s.dispose();
});

function inChromium(method: string, input: Uint8Array, params: unknown) {
  return page.evaluate(
    ([m, b64, p]) => (globalThis as unknown as SelfTestGlobal).inosSelfTest.imageJob(m, b64, p),
    [method, Buffer.from(input).toString('base64'), JSON.stringify(params)] as const,
  );
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('the built extension', () => {
  it('ships a wasm-vips glue without eval and the same vips.wasm / vips-heif.wasm as Node runs', () => {
    const glue = readFileSync(join(TEST_EXTENSION_DIR, 'vips', 'vips-es6.js'), 'utf8');
    expect(glue.match(/\bnew Function\b|\beval\s*\(|\bFunction\s*\(/)).toBeNull();
    for (const wasm of ['vips.wasm', 'vips-heif.wasm'])
      expect(sha256(readFileSync(join(TEST_EXTENSION_DIR, 'vips', wasm))), wasm).toBe(
        sha256(readFileSync(join(wasmVipsLib(), wasm))),
      );
  });
});

describe.skipIf(!tools)(`image jobs in Chromium pool Workers (seed ${SEED})`, () => {
  it('give the same bytes as in Node for every codec and a set of methods', async () => {
    const png = read(makeImage(s, 'plasma', 320, 200, SEED));
    const shapes = read(makeImage(s, 'shapes', 150, 90, SEED));
    const jpeg = await runImage('encode', png, { format: 'jpeg', quality: 90 });
    const webp = await runImage('encode', shapes, { format: 'webp', quality: 85 });
    const avif = await runImage('encode', shapes, { format: 'avif', quality: 50 });
    const jobs: Array<[string, Uint8Array, Record<string, unknown>]> = [
      ['resize', jpeg, { width: 80, filter: 'Lanczos3', format: 'jpeg', quality: 80 }],
      ['resize', png, { width: 111, height: 70, filter: 'CatmullRom', preserve_aspect: false }],
      ['resize', shapes, { width: 60, filter: 'Gaussian', format: 'webp' }],
      ['blur', png, { sigma: 2.5 }],
      ['grayscale', jpeg, { format: 'png' }],
      ['rotate90', webp, {}],
      ['invert', shapes, { format: 'avif', quality: 55 }],
      ['contrast', avif, { amount: 30, format: 'png' }],
      ['crop', png, { x: 10, y: 20, width: 101, height: 77, format: 'webp', quality: 70 }],
      ['decode', avif, {}],
      ['info', webp, {}],
      [
        'batch',
        jpeg,
        {
          operations: [
            { method: 'resize', width: 160, filter: 'Triangle' },
            { method: 'brighten', amount: 12 },
            { method: 'fliph' },
            { method: 'encode', format: 'avif', quality: 40 },
          ],
        },
      ],
    ];
    // All at once, so they spread over the pool's workers.
    const chromium = await Promise.all(jobs.map(([m, input, p]) => inChromium(m, input, p)));
    for (const [i, [method, input, params]] of jobs.entries()) {
      const c = chromium[i]!;
      const label = `${method} ${JSON.stringify(params)}`;
      expect(c.error ?? '', label).toBe('');
      expect(c.status, label).toBe('ok');
      const node = await runImage(method, input, params);
      expect({ sha256: c.sha256, bytes: c.bytes }, label).toEqual({
        sha256: sha256(node),
        bytes: node.length,
      });
    }
  }, 240_000);

  it('a corrupt input fails with a clear error and the next job runs', async () => {
    const png = read(makeImage(s, 'shapes', 64, 48, SEED));
    const truncated = png.slice(0, 60);
    const bad = await inChromium('resize', truncated, { width: 10 });
    expect(bad.status).not.toBe('ok');
    expect(bad.error ?? '').toMatch(/png/i);
    const good = await inChromium('fliph', png, {});
    expect(good.status).toBe('ok');
    expect(good.sha256).toBe(sha256(await runImage('fliph', png, {})));
  }, 120_000);
});

/**
 * The ml capsule in Chromium pool Workers (onnxruntime-web wasm, models as extension assets): the
 * VAD and OCR jobs of tests/unit/ml, inputs made here by espeak-ng, sox and ImageMagick, must give
 * byte-identical outputs to the same jobs in Node.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobContext } from '../../src/capsules/capsule';
import { mlCapsule } from '../../src/capsules/ml/capsule';
import { nodeModels, useNodeOrt } from '../../src/cli/node-models';
import type { SelfTestGlobal } from '../../src/selftest';
import { needTools } from '../_tools';
import { editDistance, PAGE_LINES, speechWithSilences, textImage } from '../unit/ml/_fixtures';
import { launchExtension, type ExtensionUnderTest } from './_extension';

const haveTools = needTools('espeak-ng', 'sox', 'convert');
let ext: ExtensionUnderTest;
let page: Page;

beforeAll(async () => {
  if (!haveTools) return;
  useNodeOrt();
  ext = await launchExtension({ testBuild: true });
  page = await ext.context.newPage();
  await page.goto(`chrome-extension://${ext.extensionId}/selftest.html`);
  await page.waitForFunction(() => document.documentElement.dataset['ready'] === 'true');
});
afterAll(async () => {
  await ext?.close();
});

async function inNode(method: string, input: Uint8Array): Promise<string> {
  const ctx: JobContext = {
    input,
    output: () => new Uint8Array(0),
    checkpoint: () => undefined,
    costSoFar: 0,
    services: { mlModel: nodeModels },
  };
  const m = mlCapsule.methods[method]!;
  return new TextDecoder().decode((await m.run(ctx, m.params.parse({}))) as Uint8Array);
}

function inChromium(method: string, input: Uint8Array) {
  return page.evaluate(([m, b64]) => (globalThis as unknown as SelfTestGlobal).inosSelfTest.mlJob(m, b64), [
    method,
    Buffer.from(input).toString('base64'),
  ] as const);
}

describe.skipIf(!haveTools)('ml jobs in Chromium pool Workers', () => {
  it('vad and ocr give the same bytes as in Node, and OCR reads the text', async () => {
    const { wav } = speechWithSilences(['hello there this is a test', 'goodbye'], [0.6, 0.8, 0.6]);
    // A full page of 10 lines in another face than the unit tests' default (DejaVu Serif, 24 pt).
    const lines = PAGE_LINES;
    const img = textImage(lines, { width: 800, font: 'DejaVu-Serif', pointsize: 24, pitch: 40 });
    for (const [method, input] of [
      ['vad', wav],
      ['ocr', img],
    ] as const) {
      const c = await inChromium(method, input);
      expect(c.error ?? '', method).toBe('');
      expect(c.status).toBe('ok');
      expect(c.output, method).toBe(await inNode(method, input));
      if (method === 'ocr') {
        const got = (JSON.parse(c.output) as { lines: { text: string }[] }).lines
          .map((l) => l.text)
          .join('\n');
        expect(1 - editDistance(got, lines.join('\n')) / lines.join('\n').length).toBeGreaterThanOrEqual(
          0.95,
        );
      }
    }
  }, 240_000);
});

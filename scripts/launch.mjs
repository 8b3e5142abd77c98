// Launches Chromium with the built extension in a fresh profile (shared by `npm start` and the e2e tests).
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { findChromium } from './find-chromium.mjs';

export const EXTENSION_DIR = resolve(import.meta.dirname, '..', '.output', 'chrome-mv3');
/** The `wxt build --mode test` output: the same extension plus the test hooks (idle, power overrides). */
export const TEST_EXTENSION_DIR = resolve(import.meta.dirname, '..', '.output', 'chrome-mv3-test');

/**
 * @param {{ headless?: boolean, userDataDir?: string, extraArgs?: string[], extensionDir?: string }} [opts]
 * @returns {Promise<{ context: import('playwright-core').BrowserContext, extensionId: string, userDataDir: string, close: () => Promise<void> }>}
 */
export async function launchWithExtension(opts = {}) {
  const dir = opts.extensionDir ?? EXTENSION_DIR;
  if (!existsSync(join(dir, 'manifest.json')))
    throw new Error(`No built extension at ${dir}: run \`npm run build\` (or \`npm run build:test\`) first.`);
  const ownProfile = !opts.userDataDir;
  const userDataDir = opts.userDataDir ?? mkdtempSync(join(tmpdir(), 'inos-profile-'));
  const headless = opts.headless ?? !process.env.DISPLAY;
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: findChromium(),
    headless,
    args: [
      ...(headless ? ['--headless=new'] : []),
      `--disable-extensions-except=${dir}`,
      `--load-extension=${dir}`,
      '--no-sandbox',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--enable-unsafe-webgpu',
      ...(opts.extraArgs ?? []),
    ],
  });
  const sw =
    context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker', { timeout: 30_000 }));
  const extensionId = new URL(sw.url()).host;
  return {
    context,
    extensionId,
    userDataDir,
    async close() {
      await context.close().catch(() => {});
      if (ownProfile) rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

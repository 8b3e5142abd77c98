import type { BrowserContext } from 'playwright-core';
export declare const EXTENSION_DIR: string;
export declare const TEST_EXTENSION_DIR: string;
export declare function launchWithExtension(opts?: {
  headless?: boolean;
  userDataDir?: string;
  extraArgs?: string[];
  extensionDir?: string;
}): Promise<{
  context: BrowserContext;
  extensionId: string;
  userDataDir: string;
  close: () => Promise<void>;
}>;

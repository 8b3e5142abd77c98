import type { BrowserContext } from 'playwright-core';
export declare const EXTENSION_DIR: string;
export declare function launchWithExtension(opts?: {
  headless?: boolean;
  userDataDir?: string;
  extraArgs?: string[];
}): Promise<{
  context: BrowserContext;
  extensionId: string;
  userDataDir: string;
  close: () => Promise<void>;
}>;

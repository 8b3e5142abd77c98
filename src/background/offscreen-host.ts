import type { WxtBrowser } from 'wxt/browser';

/**
 * Keeps the one offscreen document alive. Chrome allows a single offscreen document per extension;
 * creating a second throws, and the document dies with a browser restart or an extension update, so
 * the coordinator calls `ensure()` on install, on startup, from the reconcile alarm and before it
 * sends anything to the document.
 */
export interface OffscreenHost {
  hasDocument(): Promise<boolean>;
  createDocument(): Promise<void>;
}

export const OFFSCREEN_PATH = '/offscreen.html';

/** The real host, over `chrome.offscreen` and `chrome.runtime.getContexts`. */
export function chromeOffscreenHost(api: WxtBrowser): OffscreenHost {
  const url = api.runtime.getURL(OFFSCREEN_PATH);
  return {
    async hasDocument() {
      const contexts = await api.runtime.getContexts({
        contextTypes: ['OFFSCREEN_DOCUMENT'],
        documentUrls: [url],
      });
      return contexts.length > 0;
    },
    async createDocument() {
      await api.offscreen.createDocument({
        url: OFFSCREEN_PATH,
        // The honest reasons: it runs Workers and polls the battery (WEB_RTC joins with the mesh).
        reasons: ['WORKERS', 'BATTERY_STATUS'],
        justification: 'Runs the compute workers and watches the battery so work pauses on battery power.',
      });
    },
  };
}

export type EnsureOutcome = 'existing' | 'created';

/** Serialises `ensure()` calls: concurrent callers share one in-flight check-and-create. */
export class OffscreenManager {
  private inflight: Promise<EnsureOutcome> | null = null;
  creations = 0;

  constructor(private readonly host: OffscreenHost) {}

  ensure(): Promise<EnsureOutcome> {
    this.inflight ??= this.check().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async check(): Promise<EnsureOutcome> {
    if (await this.host.hasDocument()) return 'existing';
    try {
      await this.host.createDocument();
    } catch (err) {
      // Another context (or a previous worker instance) won the race: that is still success.
      if (/single offscreen document/i.test(String(err)) && (await this.host.hasDocument()))
        return 'existing';
      throw err;
    }
    this.creations++;
    return 'created';
  }
}

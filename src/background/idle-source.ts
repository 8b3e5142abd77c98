import type { WxtBrowser } from 'wxt/browser';
import type { IdleState } from '../scheduler/policy';

/**
 * Where "is the user active?" comes from. The browser's chrome.idle in the product; end-to-end tests
 * drive a test build's override (headless Chromium reports `active` forever: no input device).
 */
export interface IdleSource {
  /** Sets after how many seconds without input the user counts as idle. */
  setDetectionInterval(seconds: number): void;
  query(seconds: number): Promise<IdleState>;
  onChange(cb: (state: IdleState) => void): void;
}

export function chromeIdleSource(api: WxtBrowser): IdleSource {
  return {
    setDetectionInterval: (s) => api.idle.setDetectionInterval(s),
    query: async (s) => (await api.idle.queryState(s)) as IdleState,
    onChange: (cb) => api.idle.onStateChanged.addListener((state) => cb(state as IdleState)),
  };
}

/** An IdleSource whose state a test build can set; it follows the inner source until overridden. */
export class OverridableIdleSource implements IdleSource {
  private override: IdleState | null = null;
  private readonly listeners: Array<(s: IdleState) => void> = [];

  constructor(private readonly inner: IdleSource) {
    inner.onChange((s) => {
      if (this.override === null) for (const l of this.listeners) l(s);
    });
  }

  setDetectionInterval(seconds: number): void {
    this.inner.setDetectionInterval(seconds);
  }

  async query(seconds: number): Promise<IdleState> {
    return this.override ?? this.inner.query(seconds);
  }

  onChange(cb: (state: IdleState) => void): void {
    this.listeners.push(cb);
  }

  set(state: IdleState | null): void {
    console.info('[inos test build] idle overridden', state);
    this.override = state;
    if (state) for (const l of this.listeners) l(state);
  }
}

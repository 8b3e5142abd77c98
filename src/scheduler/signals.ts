/** The signals the throttling policy reads, as the contexts that observe them report them. */

/** From the Battery Status API, read in the offscreen document (not available to the service worker). */
export interface BatteryReport {
  supported: boolean;
  charging: boolean;
  /** 0..1 */
  level: number;
  at: number;
}

export type IdleState = 'active' | 'idle' | 'locked';
export type Pressure = 'nominal' | 'fair' | 'serious' | 'critical';

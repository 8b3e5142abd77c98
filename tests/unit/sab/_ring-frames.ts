/** Deterministic frames for the threaded tests: both threads can rebuild frame i from (i, seed). */
export interface RingWorkerData {
  role: 'produce' | 'consume';
  sab: SharedArrayBuffer;
  offset: number;
  capacity: number;
  frames: number;
  seed: number;
}

export function frameFor(i: number, seed: number): Uint8Array {
  let h = Math.imul(i ^ seed, 0x9e3779b1) >>> 0;
  const len = i % 1000 === 999 ? 1500 : h % 200; // mostly small, with periodic large frames
  const out = new Uint8Array(len);
  for (let k = 0; k < len; k++) {
    h = (Math.imul(h, 1664525) + 1013904223) >>> 0;
    out[k] = h >>> 24;
  }
  return out;
}

/** Order-sensitive checksum (FNV-1a over the bytes plus the length). */
export function mix(acc: number, f: Uint8Array): number {
  let h = (acc ^ f.length) >>> 0;
  for (let k = 0; k < f.length; k++) h = Math.imul(h ^ (f[k] ?? 0), 16777619) >>> 0;
  return h;
}

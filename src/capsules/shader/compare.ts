/**
 * How two peers' outputs of the same shader job are compared by the quorum. Integer outputs (`u32`,
 * `i32`) must be byte-identical. `f32` outputs differ across GPUs (WGSL allows ULP-level accuracy
 * differences and FMA contraction, CAPSULES.md §5), so element i agrees when
 *
 *     |a_i − b_i| ≤ absTol + relTol · max(|a_i|, |b_i|)
 *
 * with the tolerances the requester put in the job's `output` params; NaN agrees only with NaN (any
 * payload), ±Infinity only with itself.
 */
import type { OutputSpec } from './params.ts';

export interface Agreement {
  agree: boolean;
  /** First element that differs beyond the tolerance, or -1. */
  firstMismatch: number;
  /** Largest |a − b| over finite element pairs. */
  maxAbsDiff: number;
}

export function compareShaderOutputs(a: Uint8Array, b: Uint8Array, spec: OutputSpec): Agreement {
  if (a.length !== b.length) return { agree: false, firstMismatch: 0, maxAbsDiff: Infinity };
  if (spec.type !== 'f32') {
    for (let i = 0; i < a.length; i++)
      if (a[i] !== b[i]) return { agree: false, firstMismatch: i >> 2, maxAbsDiff: Infinity };
    return { agree: true, firstMismatch: -1, maxAbsDiff: 0 };
  }
  if (a.length % 4 !== 0) return { agree: false, firstMismatch: 0, maxAbsDiff: Infinity };
  const fa = new DataView(a.buffer, a.byteOffset, a.length);
  const fb = new DataView(b.buffer, b.byteOffset, b.length);
  let maxAbsDiff = 0;
  let firstMismatch = -1;
  for (let i = 0; i < a.length / 4; i++) {
    const x = fa.getFloat32(i * 4, true);
    const y = fb.getFloat32(i * 4, true);
    let ok: boolean;
    if (Number.isNaN(x) || Number.isNaN(y)) ok = Number.isNaN(x) && Number.isNaN(y);
    else if (!Number.isFinite(x) || !Number.isFinite(y)) ok = x === y;
    else {
      const d = Math.abs(x - y);
      maxAbsDiff = Math.max(maxAbsDiff, d);
      ok = d <= spec.absTol + spec.relTol * Math.max(Math.abs(x), Math.abs(y));
    }
    if (!ok && firstMismatch < 0) firstMismatch = i;
  }
  return { agree: firstMismatch < 0, firstMismatch, maxAbsDiff };
}

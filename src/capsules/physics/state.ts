/**
 * Writes and reads the state bundle (state-layout.ts has the byte map), and the per-body transforms
 * read from a world.
 */
import type { World } from '@dimforge/rapier3d-deterministic-compat';
import { BadInputError } from '../capsule.ts';
import { blake3Digest } from '../crypto/hash.ts';
import {
  HEADER_BYTES,
  OFFSET,
  STATE_MAGIC,
  STATE_VERSION,
  TRANSFORM_WORDS,
  snapshotOffset,
  stateBytes,
  trajectoryOffset,
  type StateHeader,
} from './state-layout.ts';

const CANONICAL_NAN = 0x7fc00000;
const MAGIC = new TextEncoder().encode(STATE_MAGIC);

/** Writes every body's transform, in handle (= scene) order, at `out[at…]`; NaNs made canonical. */
export function readTransforms(world: World, out: Float32Array, at: number): void {
  let i = at;
  world.bodies.forEach((b) => {
    const t = b.translation();
    const q = b.rotation();
    out[i++] = t.x;
    out[i++] = t.y;
    out[i++] = t.z;
    out[i++] = q.x;
    out[i++] = q.y;
    out[i++] = q.z;
    out[i++] = q.w;
  });
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let k = at; k < i; k++) if (Number.isNaN(out[k])) bits[k] = CANONICAL_NAN;
}

export interface DecodedState extends StateHeader {
  stateHash: Uint8Array;
  sceneId: Uint8Array;
  transforms: Float32Array;
  trajectory: Float32Array;
  snapshot: Uint8Array;
}

/** The bundle: header, transforms (already written by the caller into `body`), trajectory, snapshot. */
export function encodeState(
  h: StateHeader,
  sceneId: Uint8Array,
  transforms: Float32Array,
  trajectory: Float32Array,
  snapshot: Uint8Array,
  checkpoint: () => void,
): Uint8Array {
  const out = new Uint8Array(stateBytes(h));
  const dv = new DataView(out.buffer);
  out.set(MAGIC, OFFSET.magic);
  dv.setUint32(OFFSET.version, STATE_VERSION, true);
  dv.setUint32(OFFSET.bodies, h.bodies, true);
  dv.setUint32(OFFSET.step, h.step, true);
  dv.setUint32(OFFSET.trajectoryEvery, h.trajectoryEvery, true);
  dv.setUint32(OFFSET.frames, h.frames, true);
  dv.setUint32(OFFSET.snapshotBytes, h.snapshotBytes, true);
  out.set(blake3Digest(snapshot, checkpoint), OFFSET.stateHash);
  out.set(sceneId, OFFSET.sceneId);
  setF32LE(out, OFFSET.transforms, transforms);
  setF32LE(out, trajectoryOffset(h), trajectory);
  out.set(snapshot, snapshotOffset(h));
  return out;
}

function setF32LE(out: Uint8Array, at: number, xs: Float32Array): void {
  const dv = new DataView(out.buffer, out.byteOffset + at, xs.length * 4);
  for (let i = 0; i < xs.length; i++) dv.setFloat32(4 * i, xs[i]!, true);
}

function getF32LE(bytes: Uint8Array, at: number, n: number): Float32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset + at, n * 4);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
  return out;
}

/**
 * Reads a bundle and checks it is whole: the magic, the version, sizes that add up to its length and
 * a snapshot whose BLAKE3 is the recorded state hash. Copies out of the (possibly shared) input.
 */
export function decodeState(bytes: Uint8Array, checkpoint: () => void): DecodedState {
  const what = 'the input must be a physics state (the output of physics.simulate or physics.step)';
  if (bytes.length < HEADER_BYTES) throw new BadInputError(`${what}; got ${bytes.length} bytes`);
  for (let i = 0; i < MAGIC.length; i++)
    if (bytes[i] !== MAGIC[i]) throw new BadInputError(`${what}; its first bytes are not "${STATE_MAGIC}"`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(OFFSET.version, true);
  if (version !== STATE_VERSION)
    throw new BadInputError(`${what}; layout version ${version} is not ${STATE_VERSION}`);
  const h: StateHeader = {
    bodies: dv.getUint32(OFFSET.bodies, true),
    step: dv.getUint32(OFFSET.step, true),
    trajectoryEvery: dv.getUint32(OFFSET.trajectoryEvery, true),
    frames: dv.getUint32(OFFSET.frames, true),
    snapshotBytes: dv.getUint32(OFFSET.snapshotBytes, true),
  };
  if (stateBytes(h) !== bytes.length)
    throw new BadInputError(
      `${what}; its header describes ${stateBytes(h)} bytes but it has ${bytes.length}`,
    );
  const snapshot = bytes.slice(snapshotOffset(h));
  const stateHash = bytes.slice(OFFSET.stateHash, OFFSET.stateHash + 32);
  const got = blake3Digest(snapshot, checkpoint);
  if (got.some((b, i) => b !== stateHash[i]))
    throw new BadInputError(`${what}; its snapshot does not match its state hash (damaged or altered)`);
  return {
    ...h,
    stateHash,
    sceneId: bytes.slice(OFFSET.sceneId, OFFSET.sceneId + 32),
    transforms: getF32LE(bytes, OFFSET.transforms, h.bodies * TRANSFORM_WORDS),
    trajectory: getF32LE(bytes, trajectoryOffset(h), h.bodies * h.frames * TRANSFORM_WORDS),
    snapshot,
  };
}

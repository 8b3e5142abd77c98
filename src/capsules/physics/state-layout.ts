/**
 * The physics state bundle: what `simulate` and `step` output and what `step` and `query` take as
 * input. One byte map, little-endian throughout:
 *
 * | offset          | size      | field                                                          |
 * |-----------------|-----------|----------------------------------------------------------------|
 * | 0               | 8         | magic "INOSPHYS"                                               |
 * | 8               | u32       | layout version (1)                                             |
 * | 12              | u32       | B: bodies                                                      |
 * | 16              | u32       | step: steps simulated since the scene was built                |
 * | 20              | u32       | k: trajectory sampled every k steps (0: none)                  |
 * | 24              | u32       | F: trajectory frames in this bundle                            |
 * | 28              | u32       | S: snapshot bytes                                              |
 * | 32              | 32        | state hash: BLAKE3 of the snapshot bytes                       |
 * | 64              | 32        | scene id: BLAKE3 of the scene's canonical JSON                 |
 * | 96              | 28·B      | transforms: per body (scene order) f32 tx ty tz qx qy qz qw    |
 * | 96 + 28B        | 28·B·F    | trajectory: F frames, each B transforms as above; frame f is   |
 * |                 |           | the state after global step (⌊step₀/k⌋ + f + 1)·k              |
 * | 96 + 28B(1+F)   | S         | Rapier snapshot (World.takeSnapshot, bincode of the whole world)|
 *
 * NaNs in transforms are written as the one quiet NaN 0x7fc00000, so equal states are equal bytes.
 */
export const STATE_MAGIC = 'INOSPHYS';
export const STATE_VERSION = 1;
export const HEADER_BYTES = 96;
/** f32 words per body transform: translation xyz, rotation quaternion xyzw. */
export const TRANSFORM_WORDS = 7;
export const TRANSFORM_BYTES = 4 * TRANSFORM_WORDS;

export const OFFSET = {
  magic: 0,
  version: 8,
  bodies: 12,
  step: 16,
  trajectoryEvery: 20,
  frames: 24,
  snapshotBytes: 28,
  stateHash: 32,
  sceneId: 64,
  transforms: 96,
} as const;

export interface StateHeader {
  bodies: number;
  step: number;
  trajectoryEvery: number;
  frames: number;
  snapshotBytes: number;
}

export function stateBytes(h: StateHeader): number {
  return HEADER_BYTES + TRANSFORM_BYTES * h.bodies * (1 + h.frames) + h.snapshotBytes;
}

export const trajectoryOffset = (h: StateHeader): number => HEADER_BYTES + TRANSFORM_BYTES * h.bodies;
export const snapshotOffset = (h: StateHeader): number =>
  HEADER_BYTES + TRANSFORM_BYTES * h.bodies * (1 + h.frames);

import type { Capsule } from './capsule';
import { cryptoCapsule } from './crypto';
import { mlCapsule } from './ml/capsule';
import { powCapsule } from './pow/capsule';
import { shaderCapsule } from './shader/capsule';
import { storageCapsule } from './storage';

/** Every capsule shipped in the extension and the CLI. Architecture tests check each is registered. */
export const builtinCapsules: readonly Capsule[] = [
  powCapsule,
  cryptoCapsule,
  storageCapsule,
  shaderCapsule,
  mlCapsule,
];

import type { Capsule } from './capsule';
import { cryptoCapsule } from './crypto';
import { imageCapsule } from './image';
import { physicsCapsule } from './physics';
import { mlCapsule } from './ml/capsule';
import { powCapsule } from './pow/capsule';
import { shaderCapsule } from './shader/capsule';
import { storageCapsule } from './storage';

/**
 * Every capsule shipped in the extension and the CLI. tests/unit/architecture.test.ts fails when a
 * folder of src/capsules exports a capsule that is not listed here.
 */
export const builtinCapsules: readonly Capsule[] = [
  powCapsule,
  cryptoCapsule,
  storageCapsule,
  imageCapsule,
  physicsCapsule,
  shaderCapsule,
  mlCapsule,
];

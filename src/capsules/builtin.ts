import type { Capsule } from './capsule';
import { cryptoCapsule } from './crypto';
import { physicsCapsule } from './physics';
import { powCapsule } from './pow/capsule';
import { storageCapsule } from './storage';

/** Every capsule shipped in the extension and the CLI. Architecture tests check each is registered. */
export const builtinCapsules: readonly Capsule[] = [
  powCapsule,
  cryptoCapsule,
  storageCapsule,
  physicsCapsule,
];

import type { Capsule } from './capsule';
import { powCapsule } from './pow/capsule';

/** Every capsule shipped in the extension and the CLI. Architecture tests check each is registered. */
export const builtinCapsules: readonly Capsule[] = [powCapsule];

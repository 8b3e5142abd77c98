import type { Capsule } from './capsule';
import { cryptoCapsule } from './crypto';
import { imageCapsule } from './image';
import { physicsCapsule, preloadPhysics } from './physics';
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

/**
 * Work a worker does once before it joins the pool (before READY, where no heartbeat is expected).
 * Loading Rapier (a 4 MB module, base64 decode, wasm compile) blocks a thread for ~0.2 s on an idle
 * machine and took over 3 s, the engine's heartbeat timeout, on a busy one; here it costs no job
 * anything. Never rejects: a failed load is retried by the first physics job, which reports it.
 */
export async function prepareBuiltinCapsules(): Promise<void> {
  await preloadPhysics();
}

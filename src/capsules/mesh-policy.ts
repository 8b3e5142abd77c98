/**
 * What a job that arrived from the mesh may ask for. Checked at the contributor's intake, before the job
 * is queued: a method whose params carry a secret (`CapsuleMethod.secretParams`) is refused, so a
 * requester's key never travels to a contributor — the requester runs those steps on its own machine.
 */
import { BadInputError, type Capsule } from './capsule';

export type JobOrigin = 'local' | 'mesh';

/** Throws BadInputError naming the secret param when `origin` is the mesh and the method takes one. */
export function assertAllowedFrom(origin: JobOrigin, capsule: Capsule, methodName: string): void {
  if (origin === 'local') return;
  const m = capsule.methods[methodName];
  if (!m) return; // unknown methods are refused by the registry with the list of what exists
  if (m.secretParams !== undefined)
    throw new BadInputError(
      `${capsule.library}.${methodName} takes a secret (${m.secretParams}) and runs only on the requester's ` +
        'own machine, never for a job from the mesh: a key must not travel to a contributor',
    );
}

/** The methods of `capsule` that a job from the mesh may call. */
export function meshCallableMethods(capsule: Capsule): string[] {
  return Object.entries(capsule.methods)
    .filter(([, m]) => m.secretParams === undefined)
    .map(([name]) => name);
}

import type { Capsule, CapsuleMethod, ResourceLimits } from '../capsules/capsule';
import { BadInputError } from '../capsules/capsule';

export interface Resolved {
  capsule: Capsule;
  method: CapsuleMethod;
  limits: ResourceLimits;
}

/** Library name → capsule. Unknown names get an error that lists what exists. */
export class CapsuleRegistry {
  private readonly capsules = new Map<string, Capsule>();

  constructor(capsules: readonly Capsule[] = []) {
    for (const c of capsules) this.register(c);
  }

  register(capsule: Capsule): void {
    if (!/^[a-z][a-z0-9_-]{0,31}$/.test(capsule.library))
      throw new TypeError(`capsule library name "${capsule.library}" must match [a-z][a-z0-9_-]{0,31}`);
    if (this.capsules.has(capsule.library))
      throw new TypeError(`capsule "${capsule.library}" is already registered`);
    if (Object.keys(capsule.methods).length === 0)
      throw new TypeError(`capsule "${capsule.library}" has no methods`);
    this.capsules.set(capsule.library, capsule);
  }

  libraries(): string[] {
    return [...this.capsules.keys()].sort();
  }

  get(library: string): Capsule | undefined {
    return this.capsules.get(library);
  }

  resolve(library: string, method: string): Resolved {
    const capsule = this.capsules.get(library);
    if (!capsule)
      throw new BadInputError(
        `unknown library "${clip(library)}"; available: ${this.libraries().join(', ') || '(none)'}`,
      );
    const m = Object.hasOwn(capsule.methods, method) ? capsule.methods[method] : undefined;
    if (!m)
      throw new BadInputError(
        `unknown method "${clip(method)}" in library "${library}"; available: ${Object.keys(capsule.methods).sort().join(', ')}`,
      );
    return { capsule, method: m, limits: { ...capsule.limits, ...m.limits } };
  }
}

/** Echoes hostile names back only in part, so an error message cannot be used to flood a log. */
function clip(s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}…` : s;
}

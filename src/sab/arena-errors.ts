/** Errors thrown by Arena; each says what was wrong and what the caller can do. */

export class ArenaExhaustedError extends Error {
  override readonly name = 'ArenaExhaustedError';
  constructor(
    readonly requestedBytes: number,
    readonly freeBytes: number,
    readonly largestFreeBlockBytes: number,
  ) {
    super(
      `arena exhausted: requested ${requestedBytes} B, ${freeBytes} B free, largest free block ${largestFreeBlockBytes} B; ` +
        `free some allocations or offload large data to OPFS`,
    );
  }
}

/** A ref that is not exactly one live allocation of this arena (double free, foreign or forged). */
export class ArenaRefError extends Error {
  override readonly name = 'ArenaRefError';
}

/** Metadata inconsistent (e.g. a freed block written to after free); the arena must be recreated. */
export class ArenaCorruptError extends Error {
  override readonly name = 'ArenaCorruptError';
}

export class ArenaLockTimeoutError extends Error {
  override readonly name = 'ArenaLockTimeoutError';
}

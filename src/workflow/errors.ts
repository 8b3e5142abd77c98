import { BadInputError } from '../capsules/capsule.ts';

/**
 * A workflow definition refused before anything ran: every problem found, each as
 * `where: what is wrong (what is allowed)`.
 */
export class WorkflowDefinitionError extends BadInputError {
  constructor(readonly problems: readonly string[]) {
    super(
      problems.length === 1
        ? `bad workflow: ${problems[0]}`
        : `bad workflow (${problems.length} problems):\n  ${problems.slice(0, 20).join('\n  ')}${problems.length > 20 ? `\n  … and ${problems.length - 20} more` : ''}`,
    );
    this.name = 'WorkflowDefinitionError';
  }
}

/** A journal that cannot be read back (not a torn last record, which is expected after a crash). */
export class JournalCorruptError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JournalCorruptError';
  }
}

/** Exit statuses shared by every subcommand. */
export const EXIT_OK = 0;
/** A bug or an environment failure we did not anticipate. */
export const EXIT_FAILURE = 1;
/** The user's input was wrong: arguments, schema, JSON or frame bytes. The message says what. */
export const EXIT_BAD_INPUT = 2;

/** Thrown for bad arguments or input the user can fix; `main` prints the message and exits 2. */
export class CliInputError extends Error {
  override readonly name = 'CliInputError';
}

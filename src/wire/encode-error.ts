/**
 * Thrown by encoders when a value does not fit the schema (wrong type, out of range). A TypeError,
 * like other argument checks, with the field path so the caller can tell the user which field.
 */
export class EncodeError extends TypeError {
  override readonly name = 'EncodeError';
  readonly path: string;

  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.path = path;
  }
}

import { CliInputError } from '../cli-error.ts';

export const JSON_RULES = `
JSON mapping (same both ways):
  Int64/UInt64  decimal string ("18446744073709551615"); encode also takes a JSON number up to 2^53 - 1
  Data          standard padded base64 (RFC 4648), e.g. "AQID" for bytes 01 02 03; encode also takes
                an array of byte values ([1,2,3], what \`capnp convert binary:json\` prints)
  enums         enumerant name ("budgetExhausted"); encode also takes the number
  unions        only the active member appears: {"input": {"inline": "AQID"}}
  Float32/64    JSON numbers, or "NaN", "Infinity", "-Infinity"
  Void          null
  missing keys  encode as the schema default; unknown keys are an error`;

/** Validates `<schema.capnp> <Struct>` and nothing else. */
export function schemaArgs(args: readonly string[], usage: string): [string, string] {
  const [schema, struct, ...rest] = args;
  if (schema === undefined || struct === undefined || rest.length > 0) {
    throw new CliInputError(`expected <schema.capnp> <Struct>, got ${args.length} argument(s)\n\n${usage}`);
  }
  return [schema, struct];
}

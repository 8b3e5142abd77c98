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

/** How a flag takes its value: `value` once, `list` any number of times, `switch` none. */
export type FlagKind = 'value' | 'list' | 'switch';

export interface Flags {
  /** Each `value` flag given, by name (`--in` → its text). */
  readonly values: ReadonlyMap<string, string>;
  /** Each `list` flag given, with every value in order. */
  readonly lists: ReadonlyMap<string, readonly string[]>;
  readonly switches: ReadonlySet<string>;
  /** Arguments that are not flags (`-` is one: stdin), in order. */
  readonly positional: readonly string[];
}

/**
 * The one `--flag value` / `--flag=value` reader for every command. A value that is missing, empty or
 * looks like the next flag (`--in --out x`) is an error naming the flag; so is an unknown flag (with
 * the allowed ones), a value flag given twice, a value given to a switch, and a positional argument
 * where the command takes none. Every error ends with the command's usage.
 */
export function readFlags(
  args: readonly string[],
  spec: Readonly<Record<string, FlagKind>>,
  usage: string,
  options: { positional?: boolean } = {},
): Flags {
  const fail = (message: string): never => {
    throw new CliInputError(`${message}\n\n${usage}`);
  };
  const values = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const switches = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-') || arg === '-') {
      if (options.positional !== true) fail(`unexpected argument ${JSON.stringify(arg)}`);
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const kind = Object.hasOwn(spec, flag) ? spec[flag] : undefined;
    if (kind === undefined)
      fail(`unknown option ${JSON.stringify(flag)}; allowed: ${Object.keys(spec).join(', ')}`);
    if (kind === 'switch') {
      if (eq > 0) fail(`${flag} takes no value`);
      switches.add(flag);
      continue;
    }
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      value = args[i + 1];
      // `--in -` is stdin; a following `--flag` means this one's value was forgotten.
      if (value !== undefined && value.startsWith('--') && value.length > 2) value = undefined;
      else i++;
    }
    if (value === undefined || value === '') return fail(`${flag} needs a value`);
    if (kind === 'list') lists.set(flag, [...(lists.get(flag) ?? []), value]);
    else if (values.has(flag)) fail(`${flag} was given twice`);
    else values.set(flag, value);
  }
  return { values, lists, switches, positional };
}

/** `inos encode <schema.capnp> <Struct>`: JSON on stdin -> one Cap'n Proto frame on stdout. */
import { encodeDynamic } from '../../wire/index.ts';
import { CliInputError, EXIT_OK } from '../cli-error.ts';
import type { Command } from '../registry.ts';
import { loadSchema, resolveStruct } from '../schema-loader.ts';
import { JSON_RULES, schemaArgs } from './_shared.ts';

export const encodeCommand: Command = {
  name: 'encode',
  summary: "JSON on stdin -> Cap'n Proto frame on stdout",
  usage: `Usage: inos encode <schema.capnp> <Struct>  < value.json  > value.bin

Reads one JSON object whose keys are the struct's field names and writes one unpacked,
single-segment Cap'n Proto message (stream framing; \`capnp decode\` reads it).
${JSON_RULES}`,
  async run(args, io) {
    const [schemaPath, structName] = schemaArgs(args, this.usage);
    const schema = loadSchema(schemaPath);
    const key = resolveStruct(schema, structName);
    const text = new TextDecoder().decode(await io.readStdin());
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new CliInputError(`stdin is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    io.writeStdout(encodeDynamic(value, schema.layouts, key));
    return EXIT_OK;
  },
};

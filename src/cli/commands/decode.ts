/** `inos decode <schema.capnp> <Struct>`: one Cap'n Proto frame on stdin -> JSON on stdout. */
import { decodeDynamic } from '../../wire/index.ts';
import { EXIT_OK } from '../cli-error.ts';
import type { Command } from '../registry.ts';
import { loadSchema, resolveStruct } from '../schema-loader.ts';
import { JSON_RULES, schemaArgs } from './_shared.ts';

export const decodeCommand: Command = {
  name: 'decode',
  summary: "Cap'n Proto frame on stdin -> JSON on stdout",
  usage: `Usage: inos decode <schema.capnp> <Struct>  < value.bin  > value.json

Reads exactly one unpacked Cap'n Proto message in stream framing (what \`capnp encode\` writes)
and prints it as JSON. Malformed bytes exit with status 2 and say what is wrong.
${JSON_RULES}`,
  async run(args, io) {
    const [schemaPath, structName] = schemaArgs(args, this.usage);
    const schema = loadSchema(schemaPath);
    const key = resolveStruct(schema, structName);
    const value = decodeDynamic(await io.readStdin(), schema.layouts, key, { json: true });
    io.writeStdout(`${JSON.stringify(value, null, 2)}\n`);
    return EXIT_OK;
  },
};

/**
 * Compiles a .capnp file with capnpc at run time and finds a struct in it, so the CLI works for any
 * schema, not only ours. capnpc is the reference schema compiler (C++); we use its layout verbatim.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { findStruct, type SchemaLayouts } from '../wire/index.ts';
import { layoutsFromCodeGeneratorRequest } from '../wire/schema-layout.ts';
import { CliInputError } from './cli-error.ts';

export interface LoadedSchema {
  readonly layouts: SchemaLayouts;
  /** Display-name prefix of this file's nodes, e.g. "capsule.capnp". */
  readonly fileName: string;
}

export function loadSchema(path: string): LoadedSchema {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new CliInputError(`schema file not found: ${path}`);
  // --src-prefix makes display names start with the bare file name, e.g. "capsule.capnp:JobRequest".
  const res = spawnSync('capnpc', ['-o-', `--src-prefix=${dirname(abs)}`, abs], { maxBuffer: 64 << 20 });
  if (res.error) {
    const missing = (res.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new CliInputError(
      missing
        ? "capnpc is not on PATH; install Cap'n Proto (Debian/Ubuntu: apt-get install capnproto)"
        : `cannot run capnpc: ${res.error.message}`,
    );
  }
  if (res.status !== 0) {
    throw new CliInputError(`capnpc rejected ${path}:\n${res.stderr.toString().trim()}`);
  }
  return { layouts: layoutsFromCodeGeneratorRequest(new Uint8Array(res.stdout)), fileName: basename(abs) };
}

/** Layout key for `structName` (e.g. "JobRequest" or "Outer.Inner") in the loaded file. */
export function resolveStruct(schema: LoadedSchema, structName: string): string {
  const key = `${schema.fileName}:${structName}`;
  if (findStruct(schema.layouts, key) !== undefined) return key;
  const node = schema.layouts.nodes[key];
  const available = structNames(schema).join(', ') || '(none)';
  if (node?.kind === 'enum')
    throw new CliInputError(
      `${structName} is an enum, not a struct; structs in ${schema.fileName}: ${available}`,
    );
  throw new CliInputError(
    `no struct ${JSON.stringify(structName)} in ${schema.fileName}; structs: ${available}`,
  );
}

/** Structs declared in the file, without the implicit structs of groups/unions. */
export function structNames(schema: LoadedSchema): string[] {
  const groups = new Set<string>();
  for (const node of Object.values(schema.layouts.nodes)) {
    if (node.kind !== 'struct') continue;
    for (const f of node.fields) if (f.kind === 'group') groups.add(f.structName);
  }
  const prefix = `${schema.fileName}:`;
  return Object.entries(schema.layouts.nodes)
    .filter(([name, node]) => node.kind === 'struct' && name.startsWith(prefix) && !groups.has(name))
    .map(([name]) => name.slice(prefix.length));
}

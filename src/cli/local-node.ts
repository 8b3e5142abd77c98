/**
 * The local `inos node`: when it starts it writes its multiaddrs and pid to `$INOS_HOME/node.json`
 * (removed when it stops), so that `inos submit` and `inos contribute` without --bootstrap join it.
 * A file left by a node that died (its pid is gone) counts as no node.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CliInputError } from './cli-error.ts';
import { dataDir } from './data-dir.ts';

export const NO_LOCAL_NODE = 'no local inos node: start one with `inos node` or pass --bootstrap';

export interface LocalNodeInfo {
  pid: number;
  addrs: string[];
  startedAt: string;
}

export const localNodeFile = (env: NodeJS.ProcessEnv = process.env): string =>
  join(dataDir(env), 'node.json');

/** Writes the file atomically (a reader never sees half of it). */
export function writeLocalNode(addrs: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const file = localNodeFile(env);
  mkdirSync(dirname(file), { recursive: true });
  const info: LocalNodeInfo = { pid: process.pid, addrs: [...addrs], startedAt: new Date().toISOString() };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(info, null, 2)}\n`);
  renameSync(tmp, file);
  return file;
}

/** Removes the file if it is still ours (another node may have started since). */
export function removeLocalNode(env: NodeJS.ProcessEnv = process.env): void {
  const file = localNodeFile(env);
  const info = readInfo(file);
  if (info?.pid === process.pid) rmSync(file, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but is someone else's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readInfo(file: string): LocalNodeInfo | null {
  if (!existsSync(file)) return null;
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalNodeInfo>;
    if (!Number.isSafeInteger(v.pid) || !Array.isArray(v.addrs)) return null;
    const addrs = v.addrs.filter((a): a is string => typeof a === 'string' && a.includes('/p2p/'));
    return { pid: v.pid!, addrs, startedAt: String(v.startedAt ?? '') };
  } catch {
    return null;
  }
}

/** The running local node's multiaddrs (WebSocket ones first: every Node peer dials those), or null. */
export function readLocalNode(env: NodeJS.ProcessEnv = process.env): LocalNodeInfo | null {
  const info = readInfo(localNodeFile(env));
  if (info === null || info.addrs.length === 0 || !alive(info.pid)) return null;
  const ws = info.addrs.filter((a) => a.includes('/ws/'));
  return { ...info, addrs: ws.length > 0 ? ws : info.addrs };
}

/** `list` when given, else the local node's addresses, else a clear error. */
export function bootstrapOrLocal(
  list: readonly string[],
  usage: string,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  if (list.length > 0) return [...list];
  const local = readLocalNode(env);
  if (local === null)
    throw new CliInputError(`${NO_LOCAL_NODE} (looked for ${localNodeFile(env)})\n\n${usage}`);
  return local.addrs;
}

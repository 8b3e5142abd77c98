/**
 * `inos node`: a full mesh peer in Node — circuit-relay-v2 server (browsers reserve a slot here to be
 * reachable over WebRTC), bootstrap peer and DHT server, on WebSocket and webrtc-direct. Loopback by
 * default, so nothing is exposed unless asked. Line 1 of stdout is the node's multiaddrs (space
 * separated, each ending in /p2p/<PeerId>); then one status line per second until Ctrl-C or --for.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { multiaddr } from '@multiformats/multiaddr';
import { createMeshNode, RELAY_INBOUND, type MeshLibp2p } from '../../mesh/libp2p/create-node.ts';
import { installNodePolyfills } from '../../mesh/libp2p/node-polyfills.ts';
import { ADVERTS_TOPIC } from '../../mesh/protocol/ids.ts';
import { toHex } from '../../mesh/protocol/chunk-exchange.ts';
import { FileReputationStore } from '../../mesh/protocol/reputation-file-store.ts';
import { BanList, Libp2pPort } from '../../mesh/libp2p/libp2p-port.ts';
import { startLiveMesh, type LiveMesh } from '../../mesh/libp2p/live-mesh.ts';
import type { ChunkStore } from '../../capsules/storage/chunk-store.ts';
import { openDirChunkStore } from '../../capsules/storage/open-dir-store.ts';
import { dataDir } from '../data-dir.ts';
import { removeLocalNode, writeLocalNode } from '../local-node.ts';
import { defaultStoreDir } from '../node-engine.ts';
import { meshTransports, nodeListen } from '../../mesh/libp2p/transports.ts';
import { readFlags } from './_shared.ts';
import { CliInputError, EXIT_OK } from '../cli-error.ts';
import type { CliIo } from '../io.ts';
import type { Command } from '../registry.ts';

const USAGE = `Usage: inos node [--listen HOST:PORT] [--key FILE] [--bootstrap MULTIADDR]... [--for SECONDS]
                 [--store DIR] [--reputation FILE]

Runs a relay + bootstrap + DHT peer of the INOS mesh.

  --listen HOST:PORT   where to listen (default 127.0.0.1:0, loopback only; 0 picks free ports).
                       WebSocket on TCP HOST:PORT and webrtc-direct on UDP HOST:PORT.
  --key FILE           the node's Ed25519 secret key, 64 hex digits; created (mode 600) if missing,
                       so the PeerId and the printed multiaddrs stay the same across restarts.
                       Without --key a fresh key is used for this run only.
  --bootstrap ADDR     a peer to dial at start (a multiaddr ending in /p2p/<PeerId>); repeatable.
  --for SECONDS        stop by itself after this long (for scripts and tests).
  --store DIR          the chunk store served to peers over /inos/chunks/1 (default: $INOS_STORE,
                       else the data dir's chunks, as \`inos run\` uses).
  --reputation FILE    where peer reputation is kept across restarts (default: reputation.json in
                       $INOS_HOME, else ~/.local/share/inos).

stdout line 1: the multiaddrs browsers bootstrap from, space separated; they are also written to
$INOS_HOME/node.json (removed on exit), which \`inos submit\` and \`inos contribute\` use without --bootstrap.
Then once a second: peers, relay reservations, gossip messages per second, advert topic peers,
peers whose capability advert we hold.
For a public node (browsers refuse plain ws:// to public hosts), see README "Running a public inos node".`;

interface NodeArgs {
  host: string;
  port: number;
  keyFile: string | undefined;
  bootstrap: string[];
  forSeconds: number;
  store: string | undefined;
  reputation: string | undefined;
}

export function parseNodeArgs(args: readonly string[]): NodeArgs {
  const out: NodeArgs = {
    host: '127.0.0.1',
    port: 0,
    keyFile: undefined,
    bootstrap: [],
    forSeconds: Infinity,
    store: undefined,
    reputation: undefined,
  };
  const flags = readFlags(
    args,
    {
      '--listen': 'value',
      '--key': 'value',
      '--bootstrap': 'list',
      '--for': 'value',
      '--store': 'value',
      '--reputation': 'value',
    },
    USAGE,
  );
  const listen = flags.values.get('--listen');
  if (listen !== undefined) {
    const m = /^(\[[0-9a-fA-F:]+\]|[0-9.]+):(\d{1,5})$/.exec(listen);
    const port = Number(m?.[2]);
    if (!m || port > 65535) {
      throw new CliInputError(
        `--listen ${JSON.stringify(listen)} is not HOST:PORT with an IPv4 or [IPv6] address and a port 0-65535 (e.g. 127.0.0.1:4001)`,
      );
    }
    out.host = m[1]!.replace(/^\[|\]$/g, '');
    out.port = port;
  }
  out.keyFile = flags.values.get('--key');
  for (const v of flags.lists.get('--bootstrap') ?? []) {
    try {
      if (multiaddr(v).getComponents().at(-1)?.name !== 'p2p') throw new Error('no /p2p/<PeerId> at the end');
    } catch (err) {
      throw new CliInputError(
        `--bootstrap ${JSON.stringify(v)} is not a multiaddr ending in /p2p/<PeerId> (${(err as Error).message})`,
      );
    }
    out.bootstrap.push(v);
  }
  const forText = flags.values.get('--for');
  if (forText !== undefined) {
    const n = Number(forText);
    if (!(n > 0)) throw new CliInputError(`--for needs a positive number of seconds, e.g. --for 30`);
    out.forSeconds = n;
  }
  out.store = flags.values.get('--store');
  out.reputation = flags.values.get('--reputation');
  return out;
}

function loadOrCreateKey(file: string | undefined): Uint8Array {
  if (file === undefined) return new Uint8Array(randomBytes(32));
  if (existsSync(file)) {
    const hex = readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-fA-F]{64}$/.test(hex))
      throw new CliInputError(`--key ${file}: expected 64 hex digits (an Ed25519 secret key)`);
    return new Uint8Array(Buffer.from(hex, 'hex'));
  }
  const key = new Uint8Array(randomBytes(32));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${Buffer.from(key).toString('hex')}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

/** The chunk store's quota when `inos node` opens it (it only serves and keeps what it is given). */
const NODE_STORE_QUOTA_BYTES = 1 << 30;

const isPrivateHost = (h: string): boolean =>
  /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.)/.test(h) || h === '::1' || /^f[cd]/i.test(h);

const hostOf = (addr: string): string =>
  multiaddr(addr)
    .getComponents()
    .find((c) => c.name === 'ip4' || c.name === 'ip6')?.value ?? '';

/** One status line: what an operator watches. */
export function statusLine(node: MeshLibp2p, gossipPerSecond: number, adverts: number): string {
  const reservations = node.services.relay?.reservations.size ?? 0;
  return (
    `peers ${node.getPeers().length} · reservations ${reservations} · gossip ${gossipPerSecond.toFixed(0)} msg/s` +
    ` · topic peers ${node.services.pubsub.getSubscribers(ADVERTS_TOPIC).length} · adverts ${adverts}`
  );
}

export const nodeCommand: Command = {
  name: 'node',
  summary: 'run a relay + bootstrap + DHT peer of the mesh (loopback by default)',
  usage: USAGE,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const opts = parseNodeArgs(args);
    installNodePolyfills();
    const bans = new BanList();
    let live: LiveMesh | null = null;
    const node = await createMeshNode({
      secretKey: loadOrCreateKey(opts.keyFile),
      denyPeer: bans.has,
      appScore: (peer) => live?.mesh.reputation.appScore(peer) ?? 0,
      transports: meshTransports([]),
      listen: nodeListen(opts.host, opts.port),
      dhtServer: true,
      relayServer: true,
      inbound: RELAY_INBOUND,
      allowPrivateAddresses: isPrivateHost(opts.host) || opts.bootstrap.some((b) => isPrivateHost(hostOf(b))),
    });
    io.writeStdout(`${node.getMultiaddrs().map(String).join(' ')}\n`);
    // `inos submit` / `inos contribute` without --bootstrap join the node named here.
    writeLocalNode(node.getMultiaddrs().map(String));

    const storeDir = opts.store ?? defaultStoreDir();
    let store: Promise<ChunkStore> | null = null;
    const chunkStore = (): Promise<ChunkStore> =>
      (store ??= openDirChunkStore({ dir: storeDir, quotaBytes: NODE_STORE_QUOTA_BYTES }).catch(
        (err: unknown) => {
          store = null;
          throw err;
        },
      ));
    const reputationFile = opts.reputation ?? join(dataDir(), 'reputation.json');
    live = await startLiveMesh({
      node,
      port: new Libp2pPort(node, bans),
      // Serves what the store holds; a missing or unreadable chunk is "not found".
      source: {
        get: async (hash) => {
          const s = await chunkStore();
          const address = toHex(hash);
          return (await s.has(address)) ? s.get(address).catch(() => undefined) : undefined;
        },
      },
      store: new FileReputationStore(reputationFile),
      // A relay/bootstrap node runs no capsules: it relays and forwards adverts but publishes none.
      advert: () => null,
      log: (msg, err) => io.writeStderr(`inos node: ${msg}${err === undefined ? '' : ` (${String(err)})`}\n`),
    });
    let messages = 0;
    node.services.pubsub.addEventListener('message', () => void messages++);
    for (const b of opts.bootstrap) {
      node
        .dial(multiaddr(b))
        .catch((err: unknown) => io.writeStderr(`inos node: dial ${b} failed: ${String(err)}\n`));
    }

    await new Promise<void>((resolve) => {
      let last = Date.now();
      const tick = setInterval(() => {
        const now = Date.now();
        io.writeStdout(
          `${new Date(now).toISOString()} ${statusLine(node, (messages * 1000) / (now - last), live?.mesh.adverts.sweep() ?? 0)}\n`,
        );
        messages = 0;
        last = now;
      }, 1000);
      const stop = (): void => {
        clearInterval(tick);
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      if (Number.isFinite(opts.forSeconds)) setTimeout(stop, opts.forSeconds * 1000).unref();
    });
    removeLocalNode();
    await live.stop();
    await node.stop();
    return EXIT_OK;
  },
};

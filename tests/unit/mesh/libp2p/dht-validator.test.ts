/** The kad-dht validator for `/inos/<name>` records: bounded keys and values, errors that say what is allowed. */
import { describe, expect, it } from 'vitest';
import { MAX_DHT_VALUE_BYTES, validateInosRecord } from '../../../../src/mesh/libp2p/create-node.ts';
import { checkBootstrapAddr, isPrivateAddr } from '../../../../src/mesh/libp2p/bootstrap-addr.ts';

const enc = (t: string) => new TextEncoder().encode(t);
const PEER = '12D3KooWAw2VRn1Cpm7DV1viHrNifs15pzT7FTrPis3DDD9dvMXW';

describe('validateInosRecord', () => {
  it('accepts /inos/ records within the size limit and refuses others, saying what is allowed', async () => {
    await expect(validateInosRecord(enc('/inos/peer-1'), new Uint8Array(10))).resolves.toBeUndefined();
    await expect(validateInosRecord(enc('/ipns/x'), new Uint8Array(1))).rejects.toThrow(/\/inos\/<name>/);
    await expect(validateInosRecord(enc('/inos/x'), new Uint8Array(MAX_DHT_VALUE_BYTES + 1))).rejects.toThrow(
      /exceeds 16384/,
    );
  });
});

describe('checkBootstrapAddr', () => {
  it('accepts dialable multiaddrs that name their peer', () => {
    expect(checkBootstrapAddr(`/ip4/127.0.0.1/tcp/4001/ws/p2p/${PEER}`)).toBeNull();
    expect(checkBootstrapAddr(`/dns4/node.example.org/tcp/443/wss/p2p/${PEER}`)).toBeNull();
  });
  it('refuses bad input with a sentence that says what is allowed', () => {
    expect(checkBootstrapAddr('')).toMatch(/multiaddr such as/);
    expect(checkBootstrapAddr('hello')).toMatch(/is not a multiaddr/);
    expect(checkBootstrapAddr('/ip4/127.0.0.1/tcp/4001/ws')).toMatch(/must end in \/p2p\/<PeerId>/);
    expect(checkBootstrapAddr(`/ip4/127.0.0.1/tcp/4001/p2p/${PEER}`)).toMatch(
      /\/ws, \/wss .* or \/webrtc-direct/,
    );
  });
  it('tells private and loopback hosts from public ones', () => {
    expect(isPrivateAddr(`/ip4/127.0.0.1/tcp/1/ws/p2p/${PEER}`)).toBe(true);
    expect(isPrivateAddr(`/ip4/10.77.0.1/tcp/1/ws/p2p/${PEER}`)).toBe(true);
    expect(isPrivateAddr(`/ip4/8.8.8.8/tcp/1/ws/p2p/${PEER}`)).toBe(false);
  });
});

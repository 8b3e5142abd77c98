/**
 * dhtCid: the CID kad-dht keys our provider records by. js kad-dht puts only the multihash on the
 * wire and its ADD_PROVIDER / GET_PROVIDERS handlers parse it back with CID.decode; a multihash that
 * does not decode that way (CIDv1 raw + a BLAKE3 multihash, our first choice) made every remote node refuse our records.
 */
import { CID } from 'multiformats/cid';
import { describe, expect, it } from 'vitest';
import { dhtCid } from '../../../../src/mesh/libp2p/libp2p-port.ts';

const key = (b: number) => new Uint8Array(32).fill(b);
/** CIDv1(raw 0x55, blake3 multihash 0x1e, 32 bytes): what we keyed records by before dhtCid. */
const blake3Cid = (k: Uint8Array) => Uint8Array.from([0x01, 0x55, 0x1e, 0x20, ...k]);

describe('dhtCid', () => {
  it("yields a multihash that kad-dht's handlers can decode (the blake3 one cannot)", async () => {
    const cid = await dhtCid(key(7));
    expect(cid.multihash.code).toBe(0x12); // sha2-256
    expect(CID.decode(cid.multihash.bytes).multihash.bytes).toEqual(cid.multihash.bytes);
    expect(() => CID.decode(CID.decode(blake3Cid(key(7))).multihash.bytes)).toThrow(/Invalid CID version/);
  });

  it('is stable per key and differs between keys', async () => {
    expect((await dhtCid(key(1))).equals(await dhtCid(key(1)))).toBe(true);
    expect((await dhtCid(key(1))).equals(await dhtCid(key(2)))).toBe(false);
  });

  it('refuses a key that is not 32 bytes, saying what is allowed', async () => {
    await expect(dhtCid(new Uint8Array(31))).rejects.toThrow(/expected 32 bytes, got 31/);
  });
});

/**
 * Known-answer vectors: real Bitcoin block headers, as serialised on the wire (real nonce
 * included), with their well-known block hashes (display order). Each was checked when added:
 * double-SHA256 (@noble/hashes) of the header equals the published block hash and is ≤ the target
 * of its bits; tests/unit/pow/vectors.test.ts re-checks both on every run. Block 839900 (April
 * 2024, bits 0x17034219) is the recent high-difficulty one.
 */
export interface BlockVector {
  readonly height: number;
  readonly header: string;
  readonly hash: string;
  readonly nonce: number;
  readonly bits: number;
}

export const BLOCK_VECTORS: readonly BlockVector[] = [
  {
    height: 0,
    header:
      '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c',
    hash: '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f',
    nonce: 2083236893,
    bits: 0x1d00ffff,
  },
  {
    height: 1,
    header:
      '010000006fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000982051fd1e4ba744bbbe680e1fee14677ba1a3c3540bf7b1cdb606e857233e0e61bc6649ffff001d01e36299',
    hash: '00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048',
    nonce: 2573394689,
    bits: 0x1d00ffff,
  },
  {
    height: 100000,
    header:
      '0100000050120119172a610421a6c3011dd330d9df07b63616c2cc1f1cd00200000000006657a9252aacd5c0b2940996ecff952228c3067cc38d4885efb5a4ac4247e9f337221b4d4c86041b0f2b5710',
    hash: '000000000003ba27aa200b1cecaad478d2b00432346c3f1f3986da1afd33e506',
    nonce: 274148111,
    bits: 0x1b04864c,
  },
  {
    height: 125552,
    header:
      '0100000081cd02ab7e569e8bcd9317e2fe99f2de44d49ab2b8851ba4a308000000000000e320b6c2fffc8d750423db8b1eb942ae710e951ed797f7affc8892b0f1fc122bc7f5d74df2b9441a42a14695',
    hash: '00000000000000001e8d6829a8a21adc5d38d0a473b144b6765798e61f98bd1d',
    nonce: 2504433986,
    bits: 0x1a44b9f2,
  },
  {
    height: 839900,
    header:
      '0060962aa39b4310863947efd282b30ff755d3ab247c76ee7e5d010000000000000000004c4577aff36cdfdb0613ee3dc73c46e349da802849ec4f4995f9de8df5838008df1b226619420317178560d2',
    hash: '000000000000000000023dfafae2b6e6b5ecf9d1365fafa075dec49625721f37',
    nonce: 3529540887,
    bits: 0x17034219,
  },
];

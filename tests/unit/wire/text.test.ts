import { describe, expect, it } from 'vitest';
import { decodeUtf8 } from '../../../src/wire/_text.ts';
import { utf8Length } from '../../../src/wire/_writer.ts';
import { withSeed } from './_support/prng.ts';

const reference = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

describe('decodeUtf8', () => {
  it('agrees with a fatal TextDecoder on 5,000 random byte strings (ASCII fast path and fallback)', () => {
    withSeed('decodeUtf8 vs TextDecoder', (rng) => {
      for (let i = 0; i < 5000; i++) {
        const n = rng.int(40);
        const bytes = rng.bool(0.5) ? rng.bytes(n).map((b) => b & 0x7f) : rng.bytes(n);
        let expected: string | null;
        try {
          expected = reference.decode(bytes);
        } catch {
          expected = null;
        }
        const padded = new Uint8Array(n + 5);
        padded.set(bytes, 3);
        expect(decodeUtf8(padded, 3, 3 + n, false)).toBe(expected);
        const shared = new Uint8Array(new SharedArrayBuffer(n + 5));
        shared.set(bytes, 2);
        expect(decodeUtf8(shared, 2, 2 + n, true)).toBe(expected);
      }
    });
  });

  it('keeps a leading BOM and embedded NULs', () => {
    const bytes = new TextEncoder().encode('\uFEFFa\0b');
    expect(decodeUtf8(bytes, 0, bytes.length, false)).toBe('\uFEFFa\0b');
  });

  it('utf8Length matches TextEncoder, lone surrogates included', () => {
    withSeed('utf8Length vs TextEncoder', (rng) => {
      const enc = new TextEncoder();
      for (let i = 0; i < 3000; i++) {
        let s = '';
        for (let j = rng.int(12); j > 0; j--) {
          const r = rng.int(5);
          s +=
            r === 0
              ? String.fromCharCode(rng.int(0x80))
              : r === 1
                ? String.fromCharCode(0x80 + rng.int(0x780))
                : r === 2
                  ? String.fromCharCode(rng.int(0x10000))
                  : String.fromCodePoint(0x10000 + rng.int(0xfffff));
        }
        expect(utf8Length(s)).toBe(enc.encode(s).length);
      }
    });
  });
});

/**
 * Scalar fields as raw bit patterns, so explicit schema defaults can be applied the way the encoding
 * spec says: the wire holds `value XOR default`. Raw patterns: unsigned number for widths up to 32
 * bits (float32 as its bits), unsigned bigint for 64 bits (float64 as its bits), boolean for Bool.
 */
import type { DefaultValue, ScalarKind } from './layout.ts';

export type Bits = number | bigint | boolean;
export type ScalarValue = null | boolean | number | bigint;

const scratch = new DataView(new ArrayBuffer(8));

export function toBits(kind: ScalarKind | 'enum', v: ScalarValue): Bits {
  switch (kind) {
    case 'void':
      return 0;
    case 'bool':
      return v === true;
    case 'int64':
    case 'uint64':
      return BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(Number(v)));
    case 'float32':
      scratch.setFloat32(0, Number(v), true);
      return scratch.getUint32(0, true);
    case 'float64':
      scratch.setFloat64(0, Number(v), true);
      return scratch.getBigUint64(0, true);
    case 'int8':
    case 'uint8':
      return Number(v) & 0xff;
    case 'int16':
    case 'uint16':
    case 'enum':
      return Number(v) & 0xffff;
    case 'int32':
    case 'uint32':
      return Number(v) >>> 0;
  }
}

export function fromBits(kind: ScalarKind | 'enum', b: Bits): ScalarValue {
  switch (kind) {
    case 'void':
      return null;
    case 'bool':
      return b === true;
    case 'int8':
      return (Number(b) << 24) >> 24;
    case 'int16':
      return (Number(b) << 16) >> 16;
    case 'int32':
      return Number(b) | 0;
    case 'int64':
      return BigInt.asIntN(64, BigInt(b));
    case 'uint64':
      return BigInt(b);
    case 'float32':
      scratch.setUint32(0, Number(b), true);
      return scratch.getFloat32(0, true);
    case 'float64':
      scratch.setBigUint64(0, BigInt(b), true);
      return scratch.getFloat64(0, true);
    default:
      return Number(b);
  }
}

/** XOR with the field's default (a no-op without one). Same operation both ways. */
export function xorDefault(kind: ScalarKind | 'enum', b: Bits, def: DefaultValue | undefined): Bits {
  if (def === undefined) return b;
  const d = toBits(kind, typeof def === 'string' ? BigInt(def) : def);
  if (typeof b === 'boolean') return b !== d;
  if (typeof b === 'bigint') return b ^ BigInt(d);
  return (b ^ Number(d)) >>> 0;
}

/** Reads raw bits through a reader whose accessors take the same unit `at` (byte offset or index). */
export interface BitSource {
  u8(at: number): number;
  u16(at: number): number;
  u32(at: number): number;
  u64(at: number): bigint;
  bool(at: number): boolean;
}

export function readBits(r: BitSource, kind: ScalarKind | 'enum', at: number): Bits {
  switch (kind) {
    case 'void':
      return 0;
    case 'bool':
      return r.bool(at);
    case 'int8':
    case 'uint8':
      return r.u8(at);
    case 'int16':
    case 'uint16':
    case 'enum':
      return r.u16(at);
    case 'int32':
    case 'uint32':
    case 'float32':
      return r.u32(at);
    default:
      return r.u64(at);
  }
}

/** Writes raw bits at absolute byte `byte` (bit `bit` within it for Bool). */
export function writeBits(
  view: DataView,
  byte: number,
  bit: number,
  kind: ScalarKind | 'enum',
  b: Bits,
): void {
  switch (kind) {
    case 'void':
      return;
    case 'bool': {
      const mask = 1 << bit;
      const old = view.getUint8(byte);
      view.setUint8(byte, b === true ? old | mask : old & ~mask);
      return;
    }
    case 'int8':
    case 'uint8':
      view.setUint8(byte, Number(b));
      return;
    case 'int16':
    case 'uint16':
    case 'enum':
      view.setUint16(byte, Number(b), true);
      return;
    case 'int32':
    case 'uint32':
    case 'float32':
      view.setUint32(byte, Number(b), true);
      return;
    default:
      view.setBigUint64(byte, BigInt(b), true);
  }
}

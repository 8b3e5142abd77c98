/**
 * NumPy `.npy` (format 1.0/2.0/3.0, little-endian, C order) for `infer`'s tensors: the input holds one
 * .npy per model input, the output one per model output, back to back (each is self-delimiting).
 */
import { BadInputError } from '../capsule.ts';

export const NPY_TYPES = {
  '<f4': 'float32',
  '<f8': 'float64',
  '<i4': 'int32',
  '<i8': 'int64',
  '|u1': 'uint8',
  '|i1': 'int8',
  '|b1': 'bool',
} as const;
export type NpyDescr = keyof typeof NPY_TYPES;
export type TensorType = (typeof NPY_TYPES)[NpyDescr];
const SIZE: Record<TensorType, number> = {
  float32: 4,
  float64: 8,
  int32: 4,
  int64: 8,
  uint8: 1,
  int8: 1,
  bool: 1,
};

export interface NpyArray {
  type: TensorType;
  shape: number[];
  /** The raw little-endian element bytes. */
  data: Uint8Array;
  /** Bytes this .npy took in the buffer it was read from. */
  byteLength: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

export function readNpy(bytes: Uint8Array, at = 0): NpyArray {
  const bad = (why: string) =>
    new BadInputError(
      `${why}; tensors are NumPy .npy files, C order, dtype one of ${Object.keys(NPY_TYPES).join(' ')}`,
    );
  if (bytes.length - at < 10 || MAGIC.some((m, i) => bytes[at + i] !== m)) throw bad('not a .npy file');
  const major = bytes[at + 6]!;
  const v = new DataView(bytes.buffer, bytes.byteOffset + at);
  const headerLen = major === 1 ? v.getUint16(8, true) : v.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(at + start, at + start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw bad('the .npy header is malformed');
  if (!(descr in NPY_TYPES)) throw bad(`dtype ${descr} is not supported`);
  if (fortran === 'True') throw bad('Fortran order is not supported');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad('the shape is malformed');
  const type = NPY_TYPES[descr as NpyDescr];
  const n = shape.reduce((a, b) => a * b, 1);
  const dataStart = at + start + headerLen;
  const len = n * SIZE[type];
  if (bytes.length - dataStart < len)
    throw bad(`the data is cut short (${bytes.length - dataStart} of ${len} bytes)`);
  return { type, shape, data: bytes.slice(dataStart, dataStart + len), byteLength: start + headerLen + len };
}

export function writeNpy(type: TensorType, shape: readonly number[], data: Uint8Array): Uint8Array {
  const descr = (Object.keys(NPY_TYPES) as NpyDescr[]).find((k) => NPY_TYPES[k] === type)!;
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}

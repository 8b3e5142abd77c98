/**
 * A tiny ONNX model written as protobuf bytes here (no download, no onnx package): y = x · w + b for
 * x: float32[n], with w and b float32[n] initializers. Field numbers from onnx.proto3 (ModelProto,
 * GraphProto, NodeProto, TensorProto, ValueInfoProto, TypeProto).
 */
const enc = new TextEncoder();

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const key = (field: number, wire: number) => varint(field * 8 + wire);
const int = (field: number, v: number) => [...key(field, 0), ...varint(v)];
const bytes = (field: number, b: ArrayLike<number>) => [
  ...key(field, 2),
  ...varint(b.length),
  ...Array.from(b),
];
const str = (field: number, s: string) => bytes(field, enc.encode(s));

function tensor(name: string, values: Float32Array): number[] {
  const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  // dims (1), data_type (2) = 1 (FLOAT), name (8), raw_data (9), little-endian.
  return [...int(1, values.length), ...int(2, 1), ...str(8, name), ...bytes(9, raw)];
}

function valueInfo(name: string, n: number): number[] {
  const dim = bytes(1, int(1, n)); // TensorShapeProto.dim { dim_value }
  const tensorType = [...int(1, 1), ...bytes(2, dim)]; // elem_type FLOAT, shape
  return [...str(1, name), ...bytes(2, bytes(1, tensorType))]; // name, type { tensor_type }
}

function node(op: string, inputs: string[], output: string): number[] {
  return [...inputs.flatMap((i) => str(1, i)), ...str(2, output), ...str(4, op)];
}

/** ModelProto bytes (IR 8, opset 13) for y = x·w + b over n floats. */
export function affineModel(w: Float32Array, b: Float32Array): Uint8Array {
  const n = w.length;
  const graph = [
    ...bytes(1, node('Mul', ['x', 'w'], 't')),
    ...bytes(1, node('Add', ['t', 'b'], 'y')),
    ...str(2, 'affine'),
    ...bytes(5, tensor('w', w)),
    ...bytes(5, tensor('b', b)),
    ...bytes(11, valueInfo('x', n)),
    ...bytes(12, valueInfo('y', n)),
  ];
  const opset = [...str(1, ''), ...int(2, 13)];
  return Uint8Array.from([...int(1, 8), ...str(2, 'inos-test'), ...bytes(7, graph), ...bytes(8, opset)]);
}

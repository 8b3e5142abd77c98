/**
 * What `infer` accepts of a requester's ONNX model, read from the protobuf before ORT sees it:
 * operators from the default domain on an allow-list (no control flow, so no subgraphs to walk), no
 * model-local functions, no external tensor data (it would make ORT load files or URLs).
 */
import { BadInputError } from '../capsule.ts';

export const ALLOWED_OPS = new Set(
  (
    'Abs Add And ArgMax ArgMin AveragePool BatchNormalization Cast Ceil Clip Concat Constant ConstantOfShape ' +
    'Conv ConvTranspose Cos DepthToSpace Div Dropout Einsum Elu Equal Erf Exp Expand Flatten Floor Gather ' +
    'GatherElements Gelu Gemm GlobalAveragePool GlobalMaxPool Greater GreaterOrEqual GRU HardSigmoid HardSwish ' +
    'Identity InstanceNormalization LayerNormalization LeakyRelu Less LessOrEqual Log LogSoftmax LSTM MatMul Max ' +
    'MaxPool Mean Min Mod Mul Neg Not Or Pad Pow PRelu Range Reciprocal ReduceL2 ReduceMax ReduceMean ReduceMin ' +
    'ReduceProd ReduceSum Relu Reshape Resize Round Selu Shape Sigmoid Sign Sin Slice Softmax Softplus Softsign ' +
    'SpaceToDepth Split Sqrt Squeeze Sub Sum Tanh Tile TopK Transpose Trilu Unsqueeze Upsample Where Xor'
  ).split(' '),
);

interface Field {
  no: number;
  wire: number;
  /** For length-delimited fields. */
  bytes?: Uint8Array;
}

function* fields(buf: Uint8Array): Generator<Field> {
  let at = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = buf[at++];
      if (b === undefined) throw new BadInputError('the model is not a valid ONNX protobuf (truncated)');
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
      if (mul > 2 ** 63) throw new BadInputError('the model is not a valid ONNX protobuf (varint)');
    }
  };
  while (at < buf.length) {
    const key = varint();
    const no = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) varint();
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const len = varint();
      if (at + len > buf.length) throw new BadInputError('the model is not a valid ONNX protobuf (length)');
      yield { no, wire, bytes: buf.subarray(at, at + len) };
      at += len;
      continue;
    } else throw new BadInputError(`the model is not a valid ONNX protobuf (wire type ${wire})`);
    yield { no, wire };
  }
}

const text = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : '');

/** Operator types of the model's graph; throws BadInputError on anything outside the rules. */
export function checkOnnxModel(model: Uint8Array): string[] {
  let graph: Uint8Array | undefined;
  for (const f of fields(model)) {
    if (f.no === 7 && f.wire === 2) graph = f.bytes;
    if (f.no === 25) throw new BadInputError('models with local functions are not accepted');
  }
  if (!graph) throw new BadInputError('the model has no graph: not an ONNX ModelProto');
  const ops = new Set<string>();
  for (const f of fields(graph)) {
    if (f.no === 1 && f.bytes) {
      let op = '';
      let domain = '';
      for (const n of fields(f.bytes)) {
        if (n.no === 4) op = text(n.bytes);
        if (n.no === 7) domain = text(n.bytes);
      }
      if (domain !== '' && domain !== 'ai.onnx')
        throw new BadInputError(`operator ${domain}.${op} is outside the default ONNX domain`);
      if (!ALLOWED_OPS.has(op))
        throw new BadInputError(`operator ${op} is not allowed; allowed: ${[...ALLOWED_OPS].join(', ')}`);
      ops.add(op);
    }
    if (f.no === 5 && f.bytes)
      for (const t of fields(f.bytes))
        if (t.no === 13)
          throw new BadInputError('initializers with external data are not accepted; embed the weights');
  }
  return [...ops].sort();
}

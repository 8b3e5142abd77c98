/**
 * The `ml` capsule: ONNX models on onnxruntime-web's wasm backend, one thread per worker (ort.ts).
 *  - `vad`: WAV (16 kHz mono) → speech segments, Silero VAD v5;
 *  - `ocr`: PNM image → text lines with boxes and confidences, PaddleOCR det + cls + rec;
 *  - `classify`: PNM text-line crop → 0° or 180°, the PaddleOCR angle classifier;
 *  - `infer`: a requester's ONNX model (inline bytes or a BLAKE3 chunk address in the host's store;
 *    size limit, operator allow-list) on .npy tensors.
 * Outputs are JSON (vad, ocr, classify) or .npy (infer); wasm results are bit-exact for the pinned
 * ORT build, so peers compare them byte for byte.
 */
import { z } from 'zod';
import { BadInputError, method, type Capsule, type JobContext } from '../capsule.ts';
import { METHOD_BOUNDS, METHOD_PRICES } from '../price.ts';
import type { ChunkStore } from '../storage/chunk-store.ts';
import { decodeWav } from './audio.ts';
import { decodePnm } from './image.ts';
import type { ModelSource } from './models.ts';
import { checkOnnxModel } from './onnx-ops.ts';
import { readNpy, writeNpy, type TensorType } from './npy.ts';
import { classifyAngle, ocr } from './ocr.ts';
import { bytesSession, loadOrt } from './ort.ts';
import { segmentsFromProbabilities, speechProbabilities } from './vad.ts';

const MIB = 1 << 20;
export const MAX_MODEL_BYTES = 32 * MIB;

const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

/**
 * Runs `f` while a timer keeps calling the job's checkpoint (its heartbeat and stop checks), for the
 * awaits where ORT compiles wasm or builds a session; rethrows a stop once `f` is done.
 */
async function busy<T>(ctx: JobContext, f: () => Promise<T>): Promise<T> {
  let stop: unknown = null;
  const tick = setInterval(() => {
    try {
      ctx.checkpoint();
    } catch (err) {
      stop ??= err;
    }
  }, 50);
  try {
    return await f();
  } finally {
    clearInterval(tick);
    if (stop) throw stop;
  }
}

const models = (ctx: JobContext) => ctx.services.mlModel as ModelSource | undefined;

const vadParams = z.strictObject({
  threshold: z.number().min(0.05).max(0.95).default(0.5),
  minSilenceMs: z.number().int().min(0).max(10_000).default(300),
  minSpeechMs: z.number().int().min(0).max(10_000).default(250),
  padMs: z.number().int().min(0).max(1000).default(30),
});

const inferParams = z
  .strictObject({
    /** The input starts with this many bytes of ONNX model; .npy tensors follow, one per model input. */
    modelBytes: z.number().int().min(1).max(MAX_MODEL_BYTES).optional(),
    /**
     * Or: the model is the blob at this BLAKE3 address in the host's chunk store (storage.put it
     * first; the mesh's chunk exchange brings it to a contributor), and the input holds only the .npy
     * tensors. Read with every chunk verified against its BLAKE3 address, at most MAX_MODEL_BYTES.
     */
    model: z
      .string({ error: 'model must be a string of 64 hex digits (a BLAKE3 address)' })
      .regex(/^[0-9a-fA-F]{64}$/, 'model must be 64 hex digits (the BLAKE3 address of a stored blob)')
      .transform((a) => a.toLowerCase())
      .optional(),
  })
  .refine((p) => (p.modelBytes === undefined) !== (p.model === undefined), {
    message:
      'give exactly one of modelBytes (the model inline at the start of the input) or model (its BLAKE3 chunk address)',
  });

/** The model blob from the host's chunk store, checked by shape (a bundle may hold two copies of the class). */
async function modelFromStore(ctx: JobContext, address: string): Promise<Uint8Array> {
  const store = ctx.services.chunkStore as Partial<Pick<ChunkStore, 'getBlob'>> | undefined;
  if (!store || typeof store.getBlob !== 'function')
    throw new BadInputError(
      'this host has no chunk store, so infer cannot take model by address here; send the model inline (modelBytes)',
    );
  try {
    return await store.getBlob(address, {
      maxBytes: MAX_MODEL_BYTES,
      checkpoint: () => ctx.checkpoint(),
    });
  } catch (err) {
    if (err instanceof BadInputError)
      throw new BadInputError(`model ${address}: ${err.message}`, { cause: err });
    throw err;
  }
}

function bytesOf(data: unknown, type: TensorType): Uint8Array {
  if (type === 'bool') return Uint8Array.from(Array.from(data as ArrayLike<unknown>, (b) => (b ? 1 : 0)));
  const v = data as ArrayBufferView;
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
}

export const mlCapsule: Capsule = {
  library: 'ml',
  version: '1.0.0',
  summary: 'ONNX inference on the CPU (onnxruntime-web wasm): speech detection, OCR, generic models',
  limits: {
    maxInputBytes: 64 * MIB,
    maxOutputBytes: 16 * MIB,
    // The first job of a worker compiles ORT's 14 MB wasm and builds its sessions (seconds).
    timeoutMs: 120_000,
    maxMemoryBytes: 512 * MIB,
    costCap: 120_000,
    // Building the OCR sessions (15 MB of models) and one detection pass are single wasm calls that
    // cannot check in; on a loaded 2-core machine they took several seconds each.
    maxSilentMs: 30_000,
  },
  methods: {
    vad: method({
      price: METHOD_PRICES['ml.vad'],
      priceBound: METHOD_BOUNDS['ml.vad'],
      params: vadParams,
      summary: 'WAV, 16 kHz mono (16-bit PCM or f32) → {segments:[{startMs,endMs}], frames, durationMs}',
      run: async (ctx, p) => {
        const audio = decodeWav(ctx.input.slice());
        const probs = await busy(ctx, () => speechProbabilities(audio, models(ctx), () => ctx.checkpoint()));
        return json(segmentsFromProbabilities(probs, audio.length, p));
      },
    }),
    ocr: method({
      price: METHOD_PRICES['ml.ocr'],
      priceBound: METHOD_BOUNDS['ml.ocr'],
      params: z.strictObject({}),
      summary: 'PNM image (P6/P5) → {width, height, lines:[{text, confidence, box:[x0,y0,x1,y1], angle}]}',
      limits: { maxInputBytes: 48 * MIB },
      run: async (ctx) => {
        const img = decodePnm(ctx.input.slice());
        const lines = await busy(ctx, () => ocr(img, models(ctx), () => ctx.checkpoint()));
        return json({ width: img.width, height: img.height, lines });
      },
    }),
    classify: method({
      price: METHOD_PRICES['ml.classify'],
      priceBound: METHOD_BOUNDS['ml.classify'],
      params: z.strictObject({}),
      summary: 'PNM crop of one text line → {angle: 0|180, confidence} (PaddleOCR angle classifier)',
      limits: { maxInputBytes: 16 * MIB },
      run: async (ctx) => {
        const img = decodePnm(ctx.input.slice());
        const rect = { x0: 0, y0: 0, x1: img.width, y1: img.height };
        const r = await busy(ctx, () => classifyAngle(img, rect, models(ctx)));
        return json({ angle: r.angle, confidence: Math.round(r.confidence * 1e4) / 1e4 });
      },
    }),
    infer: method({
      params: inferParams,
      summary:
        'input = ONNX model (modelBytes) ‖ one .npy per model input, or params.model = its BLAKE3 chunk address and input = the .npy tensors → one .npy per model output',
      run: async (ctx, p) => {
        const input = ctx.input.slice();
        const inline = p.modelBytes ?? 0;
        if (inline > input.length)
          throw new BadInputError(`modelBytes is ${inline} but the input has ${input.length} bytes`);
        const model = p.model ? await modelFromStore(ctx, p.model) : input.subarray(0, inline);
        checkOnnxModel(model);
        const ort = await loadOrt();
        const key = `infer:${await digest(model)}`;
        let session;
        try {
          session = await busy(ctx, () => bytesSession(key, model));
        } catch (err) {
          throw new BadInputError(`ONNX Runtime refused the model: ${(err as Error).message}`, {
            cause: err,
          });
        }
        const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
        let at = inline;
        for (const name of session.inputNames) {
          if (at >= input.length)
            throw new BadInputError(
              `no .npy for model input "${name}"; inputs in order: ${session.inputNames.join(', ')}`,
            );
          const a = readNpy(input, at);
          at += a.byteLength;
          const data =
            a.type === 'bool'
              ? Array.from(a.data, (b) => b !== 0)
              : new {
                  float32: Float32Array,
                  float64: Float64Array,
                  int32: Int32Array,
                  int64: BigInt64Array,
                  uint8: Uint8Array,
                  int8: Int8Array,
                }[a.type](a.data.buffer as ArrayBuffer);
          feeds[name] = new ort.Tensor(a.type, data as Float32Array, a.shape);
        }
        if (at !== input.length)
          throw new BadInputError(
            `${input.length - at} bytes follow the last input tensor; the model has ${session.inputNames.length} inputs`,
          );
        let out;
        try {
          out = await busy(ctx, () => session.run(feeds));
        } catch (err) {
          throw new BadInputError(`inference failed: ${(err as Error).message}`, { cause: err });
        }
        const parts = session.outputNames.map((name) => {
          const t = out[name]!;
          return writeNpy(t.type as TensorType, t.dims, bytesOf(t.data, t.type as TensorType));
        });
        const total = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
        let o = 0;
        for (const b of parts) {
          total.set(b, o);
          o += b.length;
        }
        return total;
      },
    }),
  },
};

async function digest(bytes: Uint8Array): Promise<string> {
  const { blake3 } = await import('@noble/hashes/blake3.js');
  return Array.from(blake3(bytes).subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
}

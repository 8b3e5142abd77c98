/**
 * onnxruntime-web (pinned 1.30.0) on its wasm backend, one thread: CAPSULES.md §4.3 measured 1 thread
 * faster than 2 for small models, the capsule pool already runs one worker per core, and the output
 * is bit-identical across thread counts and machines for one build (no relaxed SIMD in the .wasm), so
 * peers can compare results exactly. Sessions are cached per worker for its lifetime: wasm memory
 * never shrinks, so the pool's recycling of workers is what frees it.
 */
import type * as Ort from 'onnxruntime-web';
import type { ModelName, ModelSource } from './models.ts';

export type OrtModule = typeof Ort;

let ortPromise: Promise<OrtModule> | null = null;
let importer: (() => Promise<OrtModule>) | null = null;
let wasmUrl: string | undefined;
let provider = 'wasm';

/**
 * Each host says how to load ORT: Node imports `onnxruntime-web` (its node build), the extension's
 * workers `onnxruntime-web/wasm` (wasm only: the default entry would also pull in the 28 MB WebGPU
 * build) with the URL of the bundled `ort-wasm-simd-threaded.wasm`.
 */
export function setOrtRuntime(
  load: () => Promise<OrtModule>,
  wasm?: string,
  executionProvider = 'wasm',
): void {
  importer = load;
  wasmUrl = wasm;
  provider = executionProvider;
  ortPromise = null;
  sessions.clear();
}

export function loadOrt(): Promise<OrtModule> {
  if (!importer) return Promise.reject(new Error('this host did not set up ONNX Runtime (setOrtRuntime)'));
  ortPromise ??= importer().then((ort) => {
    if (ort.env.wasm) {
      ort.env.wasm.numThreads = 1;
      ort.env.wasm.proxy = false;
      if (wasmUrl) ort.env.wasm.wasmPaths = { wasm: wasmUrl };
    }
    ort.env.logLevel = 'error';
    return ort;
  });
  return ortPromise;
}

export type Session = Ort.InferenceSession;

const sessions = new Map<string, Promise<Session>>();

/** One session per model per worker, created on first use. */
export function namedSession(name: ModelName, source: ModelSource | undefined): Promise<Session> {
  if (!source) throw new Error('this host provides no ML models (CapsuleServices.mlModel)');
  let s = sessions.get(name);
  if (!s) {
    s = (async () => {
      const ort = await loadOrt();
      const bytes = await source(name);
      return ort.InferenceSession.create(bytes, { executionProviders: [provider], intraOpNumThreads: 1 });
    })();
    s.catch(() => sessions.delete(name));
    sessions.set(name, s);
  }
  return s;
}

/** A session for requester model bytes (infer), cached by content digest. */
export function bytesSession(key: string, bytes: Uint8Array): Promise<Session> {
  let s = sessions.get(key);
  if (!s) {
    s = loadOrt().then((ort) =>
      ort.InferenceSession.create(bytes, { executionProviders: [provider], intraOpNumThreads: 1 }),
    );
    s.catch(() => sessions.delete(key));
    sessions.set(key, s);
    // Keep at most 4 requester models per worker; older sessions are released.
    const extra = [...sessions.keys()].filter((k) => k.startsWith('infer:'));
    for (const k of extra.slice(0, Math.max(0, extra.length - 4))) {
      void sessions.get(k)?.then((old) => old.release());
      sessions.delete(k);
    }
  }
  return s;
}

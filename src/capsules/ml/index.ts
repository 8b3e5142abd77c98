/** Capsule `ml`: ONNX inference on onnxruntime-web's wasm backend (see capsule.ts). */
export { mlCapsule, MAX_MODEL_BYTES } from './capsule.ts';
export { MODEL_FILES, type ModelName, type ModelSource } from './models.ts';
export { setOrtRuntime, loadOrt, type OrtModule } from './ort.ts';
export { decodeWav, VAD_RATE } from './audio.ts';
export { decodePnm, type RgbImage } from './image.ts';
export { ocr, detect, recognize, classifyAngle, type OcrLine } from './ocr.ts';
export { speechProbabilities, segmentsFromProbabilities, type VadResult } from './vad.ts';
export { readNpy, writeNpy } from './npy.ts';
export { checkOnnxModel, ALLOWED_OPS } from './onnx-ops.ts';

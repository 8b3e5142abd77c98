/**
 * The ML capsule's models in Node: read from the npm packages that ship them (src/capsules/ml/models.ts),
 * resolved from node_modules beside this checkout. Nothing is downloaded.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { MODEL_FILES, type ModelSource } from '../capsules/ml/models.ts';
import { setOrtRuntime } from '../capsules/ml/ort.ts';

/** ONNX Runtime's node build (`onnxruntime-web` resolves to it under Node). */
export function useNodeOrt(): void {
  setOrtRuntime(() => import('onnxruntime-web'));
}

export const nodeModels: ModelSource = async (name) => {
  const [anchor, file] = MODEL_FILES[name];
  const path = join(dirname(createRequire(import.meta.url).resolve(anchor)), file);
  return new Uint8Array(await readFile(path));
};

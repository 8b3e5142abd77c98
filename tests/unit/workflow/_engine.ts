import { builtinCapsules } from '../../../src/capsules/builtin.ts';
import { startNodeEngine } from '../../../src/cli/node-engine.ts';
import { wfTestCapsule } from './_wf-capsule.ts';

export const WF_CAPSULES = [...builtinCapsules, wfTestCapsule];

/** The CLI's engine (real worker threads, one SharedArrayBuffer) with the workflow test capsule. */
export async function startWfEngine(storeDir: string, workers = 2, preload: string[] = []) {
  const e = startNodeEngine({
    workers,
    preload,
    tier: 'moderate',
    storeDir,
    capsules: WF_CAPSULES,
    workerUrl: new URL('./_wf-worker.ts', import.meta.url),
  });
  await e.ready();
  return e;
}

/**
 * One wasm "worker" of bench:image's all-workers figure: loads wasm-vips (not timed), says ready,
 * then on {case} runs one untimed warm-up and `rounds` jobs of it and replies with the loop's wall ms.
 */
import { parentPort } from 'node:worker_threads';
import type { JobContext } from '../../src/capsules/capsule.ts';
import { imageCapsule, loadVips, setVipsLoader } from '../../src/capsules/image/index.ts';
import { nodeVipsLoader } from '../../src/capsules/image/vips-node.ts';

interface Job {
  method: string;
  params: object;
  input: Uint8Array;
  rounds: number;
}

setVipsLoader(nodeVipsLoader);
await loadVips();
const port = parentPort!;

async function once(job: Job): Promise<void> {
  const m = imageCapsule.methods[job.method]!;
  const ctx: JobContext = {
    input: job.input,
    output: (n) => new Uint8Array(n),
    checkpoint() {},
    costSoFar: 0,
    services: {},
  };
  await m.run(ctx, m.params.parse(job.params));
}

let current: Job | null = null;
port.on('message', (msg: { kind: 'warm'; job: Job } | { kind: 'go' } | { kind: 'exit' }) => {
  void (async () => {
    if (msg.kind === 'exit') process.exit(0);
    if (msg.kind === 'warm') {
      current = msg.job;
      await once(current);
      port.postMessage('warm');
      return;
    }
    const job = current!;
    const t = performance.now();
    for (let i = 0; i < job.rounds; i++) await once(job);
    port.postMessage(performance.now() - t);
  })();
});
port.postMessage('ready');

import { startComputeHost } from '../../src/offscreen';

startComputeHost(
  browser,
  (index) =>
    new Worker(new URL('../../src/pool/pool-worker.ts', import.meta.url), {
      type: 'module',
      name: `inos-worker-${index}`,
    }),
);

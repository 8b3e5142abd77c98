// Test build only (wxt.config.ts drops this entrypoint from other modes): see src/selftest.
import { installSelfTest } from '../../src/selftest';

installSelfTest(globalThis, {
  poolWorker: (index) =>
    new Worker(new URL('../../src/pool/pool-worker.ts', import.meta.url), {
      type: 'module',
      name: `selftest-pool-${index}`,
    }),
  roleWorker: (name) =>
    new Worker(new URL('../../src/selftest/role-worker.ts', import.meta.url), { type: 'module', name }),
});

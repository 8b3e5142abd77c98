import { defineConfig } from 'vitest/config';
import { WxtVitest } from 'wxt/testing/vitest-plugin';

// Slow soak / property suites (`*.slow.test.ts`): minutes, fresh seeds each run (replay with SAB_SEED).
export default defineConfig({
  plugins: [WxtVitest()],
  test: {
    include: ['tests/slow/**/*.slow.test.ts'],
    exclude: ['node_modules/**'],
    environment: 'node',
    testTimeout: 600_000,
    pool: 'forks',
  },
});

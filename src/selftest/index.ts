/** The test build's self-test page: the engine, bus, chunk store and GPU path in a real browser. */
export { createSelfTest, installSelfTest } from './install.ts';
export { SelfTestHost, NotIsolatedError, STORE_NAME, POOL_WORKERS, type SelfTestSpawners } from './host.ts';
export { RoleWorkerError } from './role-client.ts';
export type * from './api.ts';

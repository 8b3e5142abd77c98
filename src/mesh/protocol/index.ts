/** The mesh protocol logic, transport-agnostic (browser and Node). The Node file store is imported from './reputation-file-store.ts' directly. */
export * from './ids.ts';
export { MeshError, isMeshError, type MeshErrorCode } from './errors.ts';
export type * from './port.ts';
export * from './frames.ts';
export {
  Reputation,
  REPUTATION,
  OUTCOMES,
  type Outcome,
  type PeerRecord,
  type ReputationOptions,
} from './reputation.ts';
export { MemoryReputationStore, IdbReputationStore, type ReputationStore } from './reputation-store.ts';
export { PeerGuard, DEFAULT_GUARD_LIMITS, type GuardLimits } from './guard.ts';
export { LivenessProbe, DEFAULT_LIVENESS, type LivenessOptions } from './liveness.ts';
export { AdvertTable, MAX_SKEW_MS, type AdvertEntry, type AdvertInput } from './adverts.ts';
export {
  ChunkExchange,
  toHex,
  type ChunkSource,
  type FetchOptions,
  type FetchReport,
} from './chunk-exchange.ts';
export { RpcService, type RpcMethod, type RpcReply } from './rpc.ts';
export { MeshNode, type MeshNodeOptions } from './node.ts';

/**
 * The market protocol on the mesh (paid work between peers): frames in schemas/market.capnp, the
 * requester (offer, verify by quorum, pay) and the contributor (claim, run, be paid). It sits above
 * src/mesh, src/market and src/ledger and ties them together; hosts (the CLI's `inos submit` and
 * `inos contribute`) inject the engine and the wallet.
 */
export * from './frames.ts';
export { MARKET_DOMAIN, signFrame, verifyFrame, type MarketSigner } from './signing.ts';
export { CHUNK_BYTES, MemoryChunks, joinChunks } from './chunk-store.ts';
export { corrupt } from './tamper.ts';
export {
  BUSY_REASON,
  MARKET_METHODS,
  MarketContributor,
  PAUSED_REASON,
  type ContributorEvent,
  type JobRun,
  type JobToRun,
  type MarketContributorOptions,
} from './contributor.ts';
export {
  MarketRequester,
  NoContributorError,
  PLEDGE_GRACE_MS,
  type JobDone,
  type MarketEvent,
  type MarketEventKind,
  type MarketJob,
  type MarketRequesterOptions,
  type RequesterPayments,
} from './requester.ts';
export {
  MINT_BITS,
  MINT_PROOF_CREDITS,
  MINT_PROOF_HASHES,
  MarketWallet,
  credits,
  shortId,
  type WalletBalance,
  type WalletSnapshot,
} from './market-wallet.ts';
export { ForkWatch, bundlePayers, walletForkWatch, type ForkWatchOptions } from './fork-watch.ts';

# Paid work between peers (the market protocol, src/trade): a requester offers a job to contributors
# that advertise its capsule, they claim it, the requester assigns it, the contributor returns the
# result, the requester pays a verified one. Every frame travels as the body of an /inos/rpc/1 call
# (methods "market.offer", "market.run", "market.pay"); codecs and limits live in src/trade/frames.ts.
# Evolution rules: never renumber or retype a field; add fields only at the end (new @N).
# Every root struct carries `version` (1 today; 2 for a MarketAssign or MarketPayment whose bundle
# is chunked): a receiver rejects a version it does not know.
@0xd1c3a8e4b2f60917;

struct MarketOffer {
  # "market.offer" request: the job, signed by the requester's ledger key.
  version @0 :UInt16;
  jobId @1 :Text;
  # Chosen by the requester; unique per requester; at most 128 bytes.
  requester @2 :Text;
  # The requester's node id: its Ed25519 public key, 64 lowercase hex digits.
  capsule @3 :Text;
  method @4 :Text;
  params @5 :Text;
  # The method's params as JSON text; the offer commits to them by paramsHash.
  paramsHash @6 :Data;
  # BLAKE3-256 of the UTF-8 params.
  inputs @7 :List(Data);
  # The input's chunks by BLAKE3-256 address, in order (1 MiB each but the last); empty = no input.
  inputBytes @8 :UInt64;
  budget @9 :UInt64;
  # Most credits one run may spend (the engine stops the job there); paid is what it used.
  deadlineMs @10 :UInt64;
  # Requester's wall clock, Unix ms: a result after it is not paid and the job goes elsewhere.
  holdId @11 :Text;
  # The escrow hold in the requester's chain that backs the payment.
  sig @12 :Data;
  # Ed25519 over the offer's signing bytes (src/trade/signing.ts), 64 bytes.
}

struct MarketClaim {
  # "market.offer" response: the contributor takes (or declines) the offer, signed by its key.
  version @0 :UInt16;
  jobId @1 :Text;
  contributor @2 :Text;
  # The contributor's node id (64 hex), the payee of a payment.
  accept @3 :Bool;
  free @4 :UInt16;
  # Jobs it can start now (worker slots not busy).
  reason @5 :Text;
  # Why it declined; empty when it accepts.
  sig @6 :Data;
  auditedSeq @7 :UInt64;
  # The contributor's audited head of the requester's chain (ledger Payments.auditedHead): the
  # requester sends its pledge and pay with only the records after it. 0 (and auditedHash empty):
  # none, send the whole chain. Signed with the claim when present (src/trade/signing.ts).
  auditedHash @8 :Data;
  # BLAKE3-256 of the record at auditedSeq (ledger entryHash); the requester checks it is its own.
}

struct MarketAssign {
  # "market.run" request: run the claimed job now. The response is a MarketResult.
  version @0 :UInt16;
  jobId @1 :Text;
  requester @2 :Text;
  sig @3 :Data;
  pledge @4 :Text;
  # Escrow for this run (src/ledger PledgeBundle, JSON): a payer-signed pledge from the job's hold
  # the contributor may redeem with its result hash after the deadline + grace if it is never paid
  # (the requester left). Empty: no pledge (an older requester, or the hold is fully pledged).
  pledgeHash @5 :Data;
  # A chunked pledge (version 2): a PledgeBundle over MARKET_LIMITS.inlineBundleBytes does not travel
  # in `pledge` (empty then) but as BLAKE3 chunks the requester serves over the chunk exchange:
  # BLAKE3-256 of the whole bundle's UTF-8 JSON, its length and its chunks' addresses in order
  # (1 MiB each but the last). Signed with the assignment (src/trade/signing.ts). The contributor
  # fetches them from the requester (verified on arrival), checks the hash and audits as inline.
  # At most MARKET_LIMITS.chunkedBundleBytes. A version-1 peer refuses a version-2 frame by version.
  pledgeBytes @6 :UInt64;
  pledgeChunks @7 :List(Data);
}

struct MarketResult {
  # "market.run" response: the job's outcome, signed by the contributor.
  version @0 :UInt16;
  jobId @1 :Text;
  contributor @2 :Text;
  status @3 :Text;
  # The engine's JobOutcome status: ok, badInput, budgetExhausted, timeout, cancelled, internalError.
  costUsed @4 :UInt64;
  outputHash @5 :Data;
  # BLAKE3-256 of the whole output: what the quorum compares.
  outputBytes @6 :UInt64;
  inline @7 :Data;
  # The output itself when it is at most 256 KiB; else empty and `chunks` holds it.
  chunks @8 :List(Data);
  # The output's chunks, served by the contributor over /inos/chunks/1.
  error @9 :Text;
  sig @10 :Data;
  auditedSeq @11 :UInt64;
  # As MarketClaim's: the contributor's audited head of the requester's chain after this run (it
  # audited the run's pledge before running), so the pay that closes the pledge carries only the
  # records after it. 0 (and auditedHash empty): none. Signed with the result when present.
  auditedHash @12 :Data;
}

struct MarketPayment {
  # "market.pay" request: a payment bundle (src/ledger PaymentBundle, canonical JSON) for one result.
  version @0 :UInt16;
  jobId @1 :Text;
  bundle @2 :Text;
  # Inline (version 1), or empty when the bundle is chunked (version 2, the fields below): a bundle
  # over MARKET_LIMITS.inlineBundleBytes (a payer's whole chain of thousands of records) is put in
  # the requester's chunk store and named here; the payee fetches it from the requester over the
  # chunk exchange, checks bundleHash and audits as inline. Only a chunked payment is signed.
  payer @3 :Text;
  # The requester's node id (64 hex): who signed this frame and serves the chunks.
  bundleHash @4 :Data;
  # BLAKE3-256 of the bundle's UTF-8 JSON.
  bundleBytes @5 :UInt64;
  bundleChunks @6 :List(Data);
  # The bundle's chunks by BLAKE3-256 address, in order (1 MiB each but the last).
  sig @7 :Data;
  # Ed25519 by `payer` over the reference's signing bytes (src/trade/signing.ts).
}

# Peer-to-peer mesh frames: capability adverts (gossip), the request/response stream protocol, and
# chunk exchange. Source of truth for schemas/gen/mesh.ts and schemas/gen/layouts.ts
# (run `npm run schemas:gen`); codecs and size limits live in src/mesh/protocol/frames.ts.
# Evolution rules: never renumber or retype a field; add fields only at the end (new @N).
# Every root struct carries `version` (1 today): a receiver rejects a version it does not know
# instead of guessing, and a new major version gets a new protocol id (/inos/<name>/<version>).
@0xb3664cd0c105a851;

struct Advert {
  # Published on the gossip topic "inos/adverts/1" by each node about itself, periodically and on change.
  version @0 :UInt16;
  peerId @1 :Text;
  # The publisher's libp2p PeerId (base58btc); must equal the gossip message's signer.
  seq @2 :UInt64;
  # Strictly increasing per publisher; receivers keep only the highest (dedupe and replay defence).
  timestampMs @3 :UInt64;
  # Publisher's wall clock, Unix milliseconds.
  ttlMs @4 :UInt32;
  # The advert is stale after timestampMs + ttlMs (capped by the receiver).
  capsules @5 :List(CapsuleOffer);
  # At most 64 entries.
  workers @6 :UInt16;
  # Worker threads this node runs jobs on; 0 means it only requests.
  gpu @7 :Gpu;
  throttle @8 :Float32;
  # Share of the CPU budget currently allowed, 0.0 to 1.0 (the popup's throttle times idle state).
}

struct AdvertSolicit {
  # Published on the gossip topic "inos/adverts/solicit/1" by a node that has just gained its first
  # advert-topic neighbour (it joined, or came back after being cut off). Gossip keeps no history, so
  # without it the newcomer would learn each advert only at that node's periodic refresh; every node
  # that accepts a solicit republishes its own current advert, within its own gossip rate limit.
  # Receivers rate-limit solicits per origin (PeerGuard), so a solicit flood is no amplifier.
  version @0 :UInt16;
  peerId @1 :Text;
  # The publisher's libp2p PeerId (base58btc); must equal the gossip message's signer.
  timestampMs @2 :UInt64;
  # Publisher's wall clock, Unix milliseconds; a solicit far from the receiver's clock is ignored.
}

struct CapsuleOffer {
  name @0 :Text;
  # Capsule name as registered in src/capsules/builtin.ts, e.g. "hash"; at most 64 bytes.
  version @1 :UInt32;
}

struct Gpu {
  available @0 :Bool;
  vendor @1 :Text;
  # From GPUAdapterInfo; empty when unknown; at most 64 bytes.
  architecture @2 :Text;
}

struct RpcFrame {
  # One frame each way on an /inos/rpc/1 stream: the opener writes a request, the other side a response.
  version @0 :UInt16;
  id @1 :UInt64;
  # Chosen by the requester, echoed by the response.
  union {
    request @2 :RpcRequest;
    response @3 :RpcResponse;
  }
}

struct RpcRequest {
  method @0 :Text;
  # e.g. "job.submit"; at most 64 bytes.
  deadlineMs @1 :UInt64;
  # Requester's wall clock, Unix milliseconds, set when the frame is written; the responder may drop
  # the request after it when budgetMs is 0 (a skewed clock makes this unreliable across machines).
  body @2 :Data;
  # An inner frame (usually a base.capnp Envelope), opaque to the mesh layer.
  budgetMs @3 :UInt32;
  # How long the requester still waits for the answer, counted when it wrote the frame (after its
  # dial): the responder's deadline is its own arrival time + budgetMs, whatever the two clocks
  # say. 0 = not given (a requester before session 10): the responder falls back to deadlineMs.
}

struct RpcResponse {
  status @0 :Status;
  body @1 :Data;
  message @2 :Text;
  # Human-readable reason when status is not ok; at most 1 KiB.

  enum Status {
    ok @0;
    badRequest @1;
    # The request frame or its body was malformed.
    unknownMethod @2;
    busy @3;
    # Rate limited or at the concurrent-stream limit; retry later or elsewhere.
    failed @4;
  }
}

struct ChunkFrame {
  # Frames on /inos/chunks/1 streams: a stream carries one request (want) and one answer (have, block
  # or error), then closes.
  # On /inos/chunks/2 streams (one long-lived stream per requester and provider): the requester
  # writes wants, each with its own requestId, without waiting for answers (pipelined, at most 8
  # unanswered); the provider answers every want with one frame carrying the same requestId, in
  # any order. Either side may close the stream when idle; a want without an answer by the
  # requester's deadline is given up (a late answer is dropped). A peer that does not speak
  # /inos/chunks/2 refuses it in multistream-select and is asked over /inos/chunks/1.
  version @0 :UInt16;
  union {
    want @1 :ChunkWant;
    have @2 :ChunkHave;
    block @3 :ChunkBlock;
    error @4 :ChunkError;
  }
  requestId @5 :UInt32;
  # /inos/chunks/2: chosen by the requester per want, echoed by the answer. 0 on /inos/chunks/1.
}

struct ChunkWant {
  hashes @0 :List(Data);
  # BLAKE3-256 digests, 32 bytes each, at most 64.
  sendBlock @1 :Bool;
  # true: answer with the block of hashes[0] (then exactly one hash); false: answer with have.
}

struct ChunkHave {
  hashes @0 :List(Data);
  # The subset of a want's hashes the responder holds.
}

struct ChunkBlock {
  hash @0 :Data;
  # BLAKE3-256 of bytes; the receiver re-hashes and penalises the sender on a mismatch.
  bytes @1 :Data;
  # At most 1 MiB (the chunk store's default chunk size).
}

struct ChunkError {
  hash @0 :Data;
  code @1 :Code;
  message @2 :Text;

  enum Code {
    notFound @0;
    tooLarge @1;
    busy @2;
    badRequest @3;
  }
}

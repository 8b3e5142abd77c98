# Job bus: requests to run a capsule method and the results that come back.
# Source of truth for schemas/gen/capsule.ts and schemas/gen/layouts.ts (run `npm run schemas:gen`).
# Evolution rules: never renumber or retype a field; add fields only at the end (new @N).
@0xc194d30076b45ea1;

struct ArenaRef {
  # Bytes that stay in the local SharedArrayBuffer arena instead of being copied into the frame.
  offset @0 :UInt64;
  # Byte offset from the start of the arena region.
  length @1 :UInt64;
  # Byte count.
}

struct JobRequest {
  id @0 :Text;
  library @1 :Text;
  # Capsule name, e.g. "hash".
  method @2 :Text;
  params @3 :Text;
  # JSON object text; parsed by the capsule, never evaluated.
  budget @4 :UInt64;
  # Credits the requester will pay at most.
  deadlineMs @5 :UInt64;
  # Unix milliseconds after which the result is worthless.

  input :union {
    inline @6 :Data;
    # Small inputs travel inside the frame.
    arena @7 :ArenaRef;
    # Large inputs stay in the arena (only meaningful on the same machine).
  }
}

struct JobResult {
  jobId @0 :Text;
  status @1 :Status;

  output :union {
    inline @2 :Data;
    arena @3 :ArenaRef;
  }

  costUsed @4 :UInt64;
  # Credits actually consumed; never above the request's budget.
  error @5 :Text;
  # Human-readable reason when status != ok; empty otherwise.

  enum Status {
    ok @0;
    badInput @1;
    budgetExhausted @2;
    timeout @3;
    cancelled @4;
    internalError @5;
  }
}

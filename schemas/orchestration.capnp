# Control plane between the orchestrator and its workers.
# Source of truth for schemas/gen/orchestration.ts and schemas/gen/layouts.ts (run `npm run schemas:gen`).
# Evolution rules: never renumber or retype a field; add fields only at the end (new @N).
@0xabe17e15067a4528;

struct LifecycleCmd {
  command @0 :Command;
  reason @1 :Text;
  # Why, for logs and the popup; may be empty.
  timestampMs @2 :UInt64;
  # Issuer's wall clock, Unix milliseconds.

  enum Command {
    pause @0;
    # Stop taking jobs, keep state.
    resume @1;
    drain @2;
    # Finish running jobs, take no new ones, then stop.
    stop @3;
    # Abort running jobs now.
  }
}

struct HealthHeartbeat {
  worker @0 :UInt32;
  # Worker index within this node.
  epoch @1 :UInt64;
  # Monotonic per-worker counter; a gap means missed beats.
  jobsDone @2 :UInt64;
  load @3 :Float32;
  # Busy fraction over the last interval, 0.0 to 1.0.
  timestampMs @4 :UInt64;
}

# Envelope: the outer frame for everything that crosses the mesh or the SAB rings.
# Source of truth for schemas/gen/base.ts and schemas/gen/layouts.ts (run `npm run schemas:gen`).
# Evolution rules: never renumber or retype a field; add fields only at the end (new @N).
@0xe24a37fc40f0392c;

struct Envelope {
  id @0 :Text;
  # Unique per message; receivers de-duplicate on it.

  type @1 :Text;
  # Names the payload's struct, e.g. "capsule.JobRequest".

  timestampMs @2 :UInt64;
  # Sender's wall clock, Unix milliseconds.

  payload @3 :Data;
  # The inner frame (itself a Cap'n Proto stream message), opaque to routing.
}

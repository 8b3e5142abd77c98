# Workflows: several capsule jobs run as one transaction (the design's orchestration schema).
# Source of truth for schemas/gen/workflow.ts and schemas/gen/layouts.ts (run `npm run schemas:gen`).
# The JSON form (`inos run workflow --params @workflow.json`) has the same fields; src/workflow/definition.ts
# converts between the two and src/workflow/validate.ts checks either before anything runs.
# Evolution rules: never renumber or retype a field; add fields only at the end (new @N).
@0xca4cfa54266c74c7;

struct Workflow {
  steps @0 :List(WorkflowStep);
  onError @1 :ErrorPolicy;
  budget @2 :UInt64;
  # Credits shared by every step, retries and compensations included; never overspent. 0: the sum of
  # the steps' cost caps.
  retryAttempts @3 :UInt32;
  # With onError = retry: attempts per step after the first (0: the default, 3).
  retryBackoffMs @4 :UInt32;
  # First back-off; doubled after each attempt (0: the default, 50 ms).
  recovery @5 :Recovery;
  # What a restart does with this workflow if the process died while it ran.
  vars @6 :Text;
  # JSON object of values that params may reference as ${vars.NAME} (e.g. a key); "" = none.
  name @7 :Text;

  enum Recovery {
    resume @0;
    # Continue from the journal: finished steps with effects are not run again.
    rollback @1;
    # Undo every finished step (its compensation), in reverse order.
  }
}

struct WorkflowStep {
  library @0 :Text;
  method @1 :Text;
  params @2 :Text;
  # JSON object text; string values may hold ${previous.FIELD}, ${steps.NAME.FIELD} or ${vars.NAME}.
  name @3 :Text;
  # Unique within the workflow; "" = "step<index>".
  input @4 :Text;
  # Whose output is this step's input: "" or "previous" (the step before; the workflow input for the
  # first), "workflow" (the workflow input), "steps.NAME", or "none". Passed by reference (an arena block).

  union {
    sequential @5 :Void;
    # Wait for the step before.
    parallel @6 :Void;
    # Run concurrently with the neighbouring parallel steps (one group); all take the input from
    # before the group.
    conditional @7 :Condition;
    # Sequential, run only if the condition holds; a skipped step passes its input through.
  }
}

struct Condition {
  field @0 :Text;
  # previous.FIELD or steps.NAME.FIELD; FIELD is `length`, `byte0` or a key of a JSON object output.
  operator @1 :Text;
  # <, <=, >, >=, ==, !=
  value @2 :Float64;
}

enum ErrorPolicy {
  abort @0;
  # Stop the workflow; finished steps keep their effects.
  skip @1;
  # Treat the failed step as skipped (its input passes through) and go on.
  retry @2;
  # Run the failed step again with back-off; then abort.
  rollback @3;
  # Undo the finished steps (their capsules' compensations), in reverse order.
}

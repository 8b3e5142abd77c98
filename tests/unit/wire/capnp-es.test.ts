/**
 * capnp-es (the generated classes in schemas/gen/) as a second, independent implementation: it must
 * read what we write, and we must read what it writes. Text without a leading U+FEFF here, because
 * capnp-es 0.0.16 decodes with a default TextDecoder, which strips it.
 */
import { Message } from 'capnp-es';
import { describe, expect, it } from 'vitest';
import { ArenaRef, JobRequest, JobResult } from '../../../schemas/gen/capsule.ts';
import { HealthHeartbeat, LifecycleCmd } from '../../../schemas/gen/orchestration.ts';
import {
  decodeHeartbeat,
  decodeJobRequest,
  decodeJobResult,
  encodeHeartbeat,
  encodeJobRequest,
  encodeJobResult,
  encodeLifecycleCmd,
  JOB_STATUSES,
  LIFECYCLE_COMMANDS,
  type JobRequestData,
  type PayloadData,
} from '../../../src/wire/index.ts';
import { randomHeartbeat, randomJobRequest, randomJobResult, randomLifecycleCmd } from './_support/gen.ts';
import { type Rng, withSeed } from './_support/prng.ts';

const CASES = 150;

function noBom(s: string): string {
  return s.replace(/^\uFEFF+/, '');
}
function cleanRequest(rng: Rng): JobRequestData {
  const r = randomJobRequest(rng, { nul: false });
  return {
    ...r,
    id: noBom(r.id),
    library: noBom(r.library),
    method: noBom(r.method),
    params: noBom(r.params),
  };
}

function readPayload(u: {
  which(): number;
  inline: { toUint8Array(): Uint8Array };
  arena: ArenaRef;
}): PayloadData {
  return u.which() === 0
    ? { kind: 'inline', bytes: new Uint8Array(u.inline.toUint8Array()) }
    : { kind: 'arena', offset: u.arena.offset, length: u.arena.length };
}

describe('interop with capnp-es generated code', () => {
  it('capnp-es reads our JobRequest frames', () => {
    withSeed('capnp-es reads JobRequest', (rng) => {
      for (let i = 0; i < CASES; i++) {
        const req = cleanRequest(rng);
        const root = new Message(encodeJobRequest(req), false).getRoot(JobRequest);
        expect({
          id: root.id,
          library: root.library,
          method: root.method,
          params: root.params,
          budget: root.budget,
          deadlineMs: root.deadlineMs,
          input: readPayload(root.input),
        }).toEqual(req);
      }
    });
  });

  it('we read JobRequest frames built by capnp-es', () => {
    withSeed('we read capnp-es JobRequest', (rng) => {
      for (let i = 0; i < CASES; i++) {
        const req = randomJobRequest(rng);
        const m = new Message();
        const root = m.initRoot(JobRequest);
        root.id = req.id;
        root.library = req.library;
        root.method = req.method;
        root.params = req.params;
        root.budget = req.budget;
        root.deadlineMs = req.deadlineMs;
        if (req.input.kind === 'inline')
          root.input._initInline(req.input.bytes.length).copyBuffer(req.input.bytes);
        else {
          const ref = root.input._initArena();
          ref.offset = req.input.offset;
          ref.length = req.input.length;
        }
        expect(decodeJobRequest(new Uint8Array(m.toArrayBuffer()))).toEqual(req);
      }
    });
  });

  it('JobResult, LifecycleCmd and HealthHeartbeat agree both ways', () => {
    withSeed('capnp-es other structs', (rng) => {
      for (let i = 0; i < CASES; i++) {
        const res = randomJobResult(rng, { nul: false });
        const r = new Message(encodeJobResult(res), false).getRoot(JobResult);
        expect(noBom(r.jobId)).toBe(noBom(res.jobId));
        expect(JOB_STATUSES[r.status]).toBe(res.status);
        expect(readPayload(r.output)).toEqual(res.output);
        expect(r.costUsed).toBe(res.costUsed);

        const built = new Message();
        const b = built.initRoot(JobResult);
        b.jobId = res.jobId;
        b.status = JOB_STATUSES.indexOf(res.status) as JobResult['status'];
        b.costUsed = res.costUsed;
        b.error = res.error;
        b.output._initInline(3).copyBuffer(new Uint8Array([7, 8, 9]));
        expect(decodeJobResult(new Uint8Array(built.toArrayBuffer()))).toEqual({
          ...res,
          output: { kind: 'inline', bytes: new Uint8Array([7, 8, 9]) },
        });

        const cmd = randomLifecycleCmd(rng, { nul: false });
        const c = new Message(encodeLifecycleCmd(cmd), false).getRoot(LifecycleCmd);
        expect(LIFECYCLE_COMMANDS[c.command]).toBe(cmd.command);
        expect(c.timestampMs).toBe(cmd.timestampMs);

        const hb = randomHeartbeat(rng);
        const h = new Message(encodeHeartbeat(hb), false).getRoot(HealthHeartbeat);
        expect([h.worker, h.epoch, h.jobsDone, h.load, h.timestampMs]).toEqual([
          hb.worker,
          hb.epoch,
          hb.jobsDone,
          hb.load,
          hb.timestampMs,
        ]);
        const hm = new Message();
        const hr = hm.initRoot(HealthHeartbeat);
        Object.assign(hr, {
          worker: hb.worker,
          epoch: hb.epoch,
          jobsDone: hb.jobsDone,
          load: hb.load,
          timestampMs: hb.timestampMs,
        });
        expect(decodeHeartbeat(new Uint8Array(hm.toArrayBuffer()))).toEqual(hb);
      }
    });
  });
});

/** Binary fixtures written by the reference tool must stay readable (see tests/fixtures/frames/v1/README.md). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeDynamic,
  decodeEnvelope,
  decodeHeartbeat,
  decodeJobRequest,
  decodeJobResult,
  decodeLifecycleCmd,
  encodeEnvelope,
  encodeHeartbeat,
  encodeJobRequest,
  encodeJobResult,
  encodeLifecycleCmd,
  type EnvelopeData,
  type HeartbeatData,
  type JobRequestData,
  type JobResultData,
  type LifecycleCmdData,
  OUR_LAYOUTS,
} from '../../../src/wire/index.ts';
import { capnp, HAS_CAPNP, REPO, schemaPath } from './_support/capnp-tool.ts';

const DIR = join(REPO, 'tests/fixtures/frames/v1');
const read = (name: string): Uint8Array => new Uint8Array(readFileSync(join(DIR, name)));

const JOB_REQUEST: JobRequestData = {
  id: 'job-0001',
  library: 'hash',
  method: 'sha256',
  params: '{"text": "héllo 世界 🚀"}',
  budget: 18446744073709551615n,
  deadlineMs: 9007199254740993n,
  input: { kind: 'inline', bytes: new Uint8Array([0x00, 0x01, 0x02, 0xfe, 0xff]) },
};
const JOB_RESULT: JobResultData = {
  jobId: 'job-0001',
  status: 'budgetExhausted',
  output: { kind: 'arena', offset: 4096n, length: 9007199254740993n },
  costUsed: 1234567890123n,
  error: 'budget spent after 3 slices — héllo 世界 🚀',
};
const LIFECYCLE: LifecycleCmdData = {
  command: 'drain',
  reason: 'on battery: 15 % — 🔋',
  timestampMs: 1735689600000n,
};
const HEARTBEAT: HeartbeatData = {
  worker: 4294967295,
  epoch: 9007199254740993n,
  jobsDone: 42n,
  load: 0.75,
  timestampMs: 1735689600123n,
};
const ENVELOPE: EnvelopeData = {
  id: 'env-0001',
  type: 'capsule.JobRequest',
  timestampMs: 18446744073709551615n,
  payload: new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0x00, 0xff]),
};

const FIXTURES = [
  {
    struct: 'JobRequest',
    file: 'capsule.capnp',
    value: JOB_REQUEST,
    decode: decodeJobRequest,
    encode: encodeJobRequest,
  },
  {
    struct: 'JobResult',
    file: 'capsule.capnp',
    value: JOB_RESULT,
    decode: decodeJobResult,
    encode: encodeJobResult,
  },
  {
    struct: 'LifecycleCmd',
    file: 'orchestration.capnp',
    value: LIFECYCLE,
    decode: decodeLifecycleCmd,
    encode: encodeLifecycleCmd,
  },
  {
    struct: 'HealthHeartbeat',
    file: 'orchestration.capnp',
    value: HEARTBEAT,
    decode: decodeHeartbeat,
    encode: encodeHeartbeat,
  },
  { struct: 'Envelope', file: 'base.capnp', value: ENVELOPE, decode: decodeEnvelope, encode: encodeEnvelope },
] as const;

describe('v1 fixtures stay readable', () => {
  it.each(FIXTURES)('$struct.bin decodes to the recorded value', ({ struct, value, decode }) => {
    expect(decode(read(`${struct}.bin`))).toEqual(value);
  });

  it('JobRequest.multisegment.bin (7 segments, far pointers) decodes to the same value', () => {
    const frame = read('JobRequest.multisegment.bin');
    expect(new DataView(frame.buffer, frame.byteOffset).getUint32(0, true) + 1).toBe(7);
    expect(decodeJobRequest(frame)).toEqual(JOB_REQUEST);
  });

  it('ArenaRef.bin decodes through the schema-driven decoder', () => {
    expect(decodeDynamic(read('ArenaRef.bin'), OUR_LAYOUTS, 'capsule.capnp:ArenaRef')).toEqual({
      offset: 9007199254740993n,
      length: 18446744073709551615n,
    });
  });

  it('every struct in schemas/*.capnp (except union/group structs) has a fixture', () => {
    const groups = new Set<string>();
    for (const node of Object.values(OUR_LAYOUTS.nodes)) {
      if (node.kind === 'struct')
        for (const f of node.fields) if (f.kind === 'group') groups.add(f.structName);
    }
    const structs = Object.entries(OUR_LAYOUTS.nodes)
      .filter(([name, node]) => node.kind === 'struct' && !groups.has(name))
      .map(([name]) => name.slice(name.indexOf(':') + 1));
    const files = readdirSync(DIR);
    for (const s of structs) expect(files, `missing fixture ${s}.bin`).toContain(`${s}.bin`);
  });

  it.each(FIXTURES)(
    'our encoder writes $struct byte-for-byte as the reference did',
    ({ struct, value, encode }) => {
      expect((encode as (v: typeof value) => Uint8Array)(value)).toEqual(read(`${struct}.bin`));
    },
  );

  it.skipIf(!HAS_CAPNP)('capnp still produces each .bin from its .txt (fixture provenance)', () => {
    for (const { struct, file } of FIXTURES) {
      const bytes = capnp(['encode', schemaPath(file), struct], readFileSync(join(DIR, `${struct}.txt`)));
      expect(new Uint8Array(bytes), struct).toEqual(read(`${struct}.bin`));
    }
  });
});

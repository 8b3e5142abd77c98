/** orchestration.capnp:LifecycleCmd <-> plain object. Layout comes from schemas/gen/layouts.ts. */
import { aEnum, aString, aU64, anObject } from './_assert.ts';
import { bindStruct, type EnumNames, enumerants, pointerSlot, scalarSlot } from './_bind.ts';
import type { DecodeLimits } from './_pointer.ts';
import { readRoot } from './_reader.ts';
import { FrameWriter, frameBytes, textWords } from './_writer.ts';
import { FrameError, guardDecode } from './frame-error.ts';

export type LifecycleCommand = EnumNames<'orchestration.capnp:LifecycleCmd.Command'>;
export const LIFECYCLE_COMMANDS: readonly LifecycleCommand[] = enumerants(
  'orchestration.capnp:LifecycleCmd.Command',
);

export interface LifecycleCmdData {
  command: LifecycleCommand;
  /** Why, for logs and the popup; may be empty. */
  reason: string;
  /** Issuer's wall clock, Unix milliseconds. */
  timestampMs: bigint;
}

const L = bindStruct('orchestration.capnp:LifecycleCmd');
const COMMAND = scalarSlot(L, 'command', 'enum');
const REASON = pointerSlot(L, 'reason', 'text');
const TIMESTAMP = scalarSlot(L, 'timestampMs', 'uint64');

export function encodeLifecycleCmd(cmd: LifecycleCmdData): Uint8Array {
  const o = anObject(cmd, 'LifecycleCmd');
  const command = aEnum(o.command, LIFECYCLE_COMMANDS, 'LifecycleCmd.command');
  const reason = aString(o.reason, 'LifecycleCmd.reason');
  const timestampMs = aU64(o.timestampMs, 'LifecycleCmd.timestampMs');

  const w = new FrameWriter(frameBytes(L.dataWords, L.pointerCount, textWords(reason)));
  const s = w.root(L.dataWords, L.pointerCount);
  s.u16(COMMAND, command);
  s.text(REASON, reason);
  s.u64(TIMESTAMP, timestampMs);
  return w.finish();
}

export function decodeLifecycleCmd(bytes: Uint8Array, limits?: DecodeLimits): LifecycleCmdData {
  return guardDecode('LifecycleCmd', () => {
    const s = readRoot(bytes, 'LifecycleCmd', limits);
    const value = s.u16(COMMAND);
    const command = LIFECYCLE_COMMANDS[value];
    if (command === undefined) {
      throw new FrameError(
        'value',
        `unknown command ${value} (known: ${LIFECYCLE_COMMANDS.join(', ')})`,
        'LifecycleCmd.command',
      );
    }
    return { command, reason: s.text(REASON, 'reason'), timestampMs: s.u64(TIMESTAMP) };
  });
}

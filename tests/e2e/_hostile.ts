/**
 * What a hostile peer sends on one `/inos/chunks` stream, by kind (`i % 4`): a malformed frame, an
 * oversize length prefix, a well-framed request that is not a ChunkFrame, or a flooding want for a
 * chunk nobody has. The stream is aborted afterwards; a reset by the victim is expected. Used by the
 * mesh-net e2e (one identity) and the hostile-browser slow test (many identities).
 */
import { randomBytes } from 'node:crypto';
import type { Stream } from '@libp2p/interface';
import { lpStream } from '@libp2p/utils';
import { encodeChunk } from '../../src/mesh/protocol/frames';

export const HOSTILE_KINDS = ['malformed', 'oversize', 'notAFrame', 'flood'] as const;

export async function hostileFrame(stream: Stream, i: number): Promise<void> {
  try {
    switch (i % 4) {
      case 0: // a length prefix of 5 bytes, then 2 bytes and EOF: malformed
        stream.send(Uint8Array.of(5, 1, 2));
        await stream.close();
        break;
      case 1: // 8 MiB announced on a protocol that takes 4 KiB requests: oversize
        stream.send(Uint8Array.of(0x80, 0x80, 0x80, 0x04));
        stream.send(new Uint8Array(1024));
        await stream.close();
        break;
      case 2: // a well-framed request that is not a ChunkFrame
        await lpStream(stream).write(randomBytes(200));
        await lpStream(stream)
          .read({ signal: AbortSignal.timeout(5_000) })
          .catch(() => null);
        break;
      default: // flooding: valid wants for chunks nobody has, as fast as it can
        await lpStream(stream).write(
          encodeChunk({ kind: 'want', hashes: [randomBytes(32)], sendBlock: true }),
        );
        await lpStream(stream)
          .read({ signal: AbortSignal.timeout(5_000) })
          .catch(() => null);
    }
  } catch {
    // the victim reset the stream: expected
  } finally {
    stream.abort(new Error('hostile peer done'));
  }
}

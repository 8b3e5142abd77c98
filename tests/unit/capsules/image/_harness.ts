/**
 * Runs image capsule methods in-process (the wasm-vips Node loader, no engine) and drives ImageMagick
 * and the codec reference tools on generated images. Test images are made at test time: an
 * ImageMagick plasma (smooth, photo-like) and shapes (hard edges), both seeded.
 */
import { execFileSync } from 'node:child_process';
import { deflateSync } from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadInputError, type JobContext } from '../../../../src/capsules/capsule.ts';
import { imageCapsule, setVipsLoader } from '../../../../src/capsules/image/index.ts';
import { nodeVipsLoader } from '../../../../src/capsules/image/vips-node.ts';
import { hasTool, need } from '../../../_tools.ts';

setVipsLoader(nodeVipsLoader);

/** The tools this folder uses, each with the argument that makes it exit 0. */
const TOOL_ARGS: Record<string, string[]> = {
  convert: ['-version'],
  cjpeg: ['-version'],
  djpeg: ['-version'],
  cwebp: ['-version'],
  dwebp: ['-version'],
  avifenc: ['--version'],
  avifdec: ['--version'],
  vips: ['--version'],
};

/** true when every tool runs; under CI=true a missing one throws (see tests/_tools.ts). */
export function haveTools(...tools: string[]): boolean {
  const missing = tools.filter((t) => !hasTool(t, TOOL_ARGS[t] ?? ['--version']));
  return need(missing.join(', '), missing.length === 0, 'command-line tool not on PATH');
}

/** Runs one method as the engine would (params through the schema), returning its output bytes. */
export async function runImage(method: string, input: Uint8Array, params: unknown = {}): Promise<Uint8Array> {
  const m = imageCapsule.methods[method];
  if (!m) throw new Error(`no method ${method}`);
  const parsed = m.params.safeParse(params);
  if (!parsed.success) throw new BadInputError(parsed.error.issues.map((i) => i.message).join('; '));
  let out: Uint8Array | null = null;
  const ctx: JobContext = {
    input,
    output: (n) => (out = new Uint8Array(n)),
    checkpoint() {},
    costSoFar: 0,
    services: {},
  };
  const returned = await m.run(ctx, parsed.data);
  const result = returned ?? out;
  if (!result) throw new Error(`${method} produced no output`);
  return result;
}

export class Scratch {
  readonly dir = mkdtempSync(join(tmpdir(), 'inos-image-'));
  private n = 0;
  path(ext: string): string {
    return join(this.dir, `f${++this.n}.${ext}`);
  }
  write(bytes: Uint8Array, ext: string): string {
    const p = this.path(ext);
    writeFileSync(p, bytes);
    return p;
  }
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function run(cmd: string, args: readonly string[]): Buffer {
  return execFileSync(cmd, args, { maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** An 8-bit image made by ImageMagick, as a file path. `kind`: plasma or shapes. */
export function makeImage(
  s: Scratch,
  kind: 'plasma' | 'shapes',
  w: number,
  h: number,
  seed: number,
  ext = 'png',
): string {
  const p = s.path(ext);
  if (kind === 'plasma')
    run('convert', [
      '-seed',
      String(seed),
      '-size',
      `${w}x${h}`,
      'plasma:fractal',
      '-blur',
      '0x0.5',
      '-depth',
      '8',
      p,
    ]);
  else
    run('convert', [
      '-size',
      `${w}x${h}`,
      'xc:#f0e0d0',
      '-fill',
      '#c02010',
      '-draw',
      `circle ${w * 0.3},${h * 0.4} ${w * 0.3 + h * 0.25},${h * 0.4}`,
      '-fill',
      '#103080',
      '-draw',
      `rectangle ${w * 0.55},${h * 0.1} ${w * 0.9},${h * 0.7}`,
      '-stroke',
      '#20a040',
      '-strokewidth',
      '3',
      '-draw',
      `line 0,${h - 1} ${w - 1},${(seed % 7) * 3}`,
      '-depth',
      '8',
      p,
    ]);
  return p;
}

/** Decoded 8-bit RGB pixels of any image file, by ImageMagick. */
export function rgbOf(path: string): Buffer {
  return run('convert', [
    path,
    '-alpha',
    'off',
    '-colorspace',
    'sRGB',
    '-type',
    'TrueColor',
    '-depth',
    '8',
    'rgb:-',
  ]);
}

export function sizeOf(path: string): [number, number] {
  const [w, h] = run('identify', ['-format', '%w %h', path]).toString().split(' ').map(Number);
  return [w!, h!];
}

/** PSNR in dB over all samples (Infinity when identical) and the largest sample difference. */
export function psnr(a: Uint8Array, b: Uint8Array, width?: number, border = 0): { db: number; max: number } {
  if (a.length !== b.length) throw new Error(`PSNR of ${a.length} vs ${b.length} bytes`);
  let se = 0;
  let max = 0;
  let n = 0;
  const rowBytes = width ? width * 3 : a.length;
  const rows = a.length / rowBytes;
  for (let y = border; y < rows - border; y++)
    for (let x = border * 3; x < rowBytes - border * 3; x++) {
      const i = y * rowBytes + x;
      const d = a[i]! - b[i]!;
      se += d * d;
      n++;
      if (Math.abs(d) > max) max = Math.abs(d);
    }
  const mse = se / n;
  return { db: mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse), max };
}

export const read = (p: string) => new Uint8Array(readFileSync(p));

// --- hostile inputs, built in code (engine.test's bombs, price.test's headers) -------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const v of b) c = CRC_TABLE[(c ^ v) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
/** A 100000×100000 RGB PNG in a few hundred bytes: the IDAT is a short run of zero rows. */
export function pngBomb(w = 100_000, h = 100_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(64 * 1024))),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/**
 * Calibration for the work-based prices (src/capsules/price.ts, docs/CREDITS.md "Work-based
 * prices"): runs each priced method once through the engine's `execute` on this thread and prints
 * milliseconds per MiB (or per operation, or hashes per millisecond for pow.search) and writes
 * bench/results/price-rates.json. Not a benchmark to loop; run it once when a rate is revisited:
 * `npx tsx bench/ledger/price-rates.ts`. Note the load it prints: rates from a busy machine say so.
 *
 * image.*: milliseconds per megapixel, on a generated 1600×1200 photo-like image (smooth gradients
 * and seeded noise): decode per input format, encode per output format (a transcode less its
 * decode), each operation on a JPEG less its decode and encode. ml.*: Silero VAD ms per 512-sample
 * frame on 20 s of generated audio, PaddleOCR detection ms per megapixel of its input tensor (a
 * blank page), recognition ms per 320-column unit of a line (a page of ImageMagick text less its
 * detection), the angle classifier ms per 48×192 piece (ImageMagick `label:` crops).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { builtinCapsules } from '../../src/capsules/builtin.ts';
import type { CapsuleServices } from '../../src/capsules/capsule.ts';
import { setVipsLoader } from '../../src/capsules/image/index.ts';
import { nodeVipsLoader } from '../../src/capsules/image/vips-node.ts';
import { readImageHeader } from '../../src/capsules/image/header.ts';
import { classifyPieces, ocrWork } from '../../src/capsules/price.ts';
import { nodeModels, useNodeOrt } from '../../src/cli/node-models.ts';
import { setBrotliLoader } from '../../src/capsules/storage/index.ts';
import { nodeBrotliLoader } from '../../src/capsules/storage/brotli-node.ts';
import { execute } from '../../src/engine/execute.ts';
import { CapsuleRegistry } from '../../src/engine/registry.ts';
import { mulberry32 } from '../../src/random/mulberry32.ts';
import { runOnThread } from '../../tests/_run-job.ts';
import { wav16k } from '../../tests/_wav.ts';

setBrotliLoader(nodeBrotliLoader);
setVipsLoader(nodeVipsLoader);
useNodeOrt();
const services: CapsuleServices = { mlModel: nodeModels };
const registry = new CapsuleRegistry(builtinCapsules);
const MIB = 1 << 20;
const rand = mulberry32(7);
const random = (n: number) => Uint8Array.from({ length: n }, () => (rand() * 256) | 0);
// Text compresses like real data; random bytes would make brotli look cheap.
// The C headers under /usr/include, as bench/capsules' corpus (make-corpus.sh) uses.
const corpus = (() => {
  const parts: Buffer[] = [];
  let size = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (size >= 8 * MIB) return;
      const p = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.h')) {
        const b = readFileSync(p);
        parts.push(b);
        size += b.length;
      }
    }
  };
  walk('/usr/include');
  return new Uint8Array(Buffer.concat(parts));
})();
const text = (n: number): Uint8Array => corpus.slice(0, n);

async function time(library: string, method: string, params: object, input: Uint8Array) {
  let out = new Uint8Array(0);
  const once = () =>
    execute(registry, {
      library,
      method,
      params: JSON.stringify(params),
      input,
      budget: 1e9,
      deadlineMs: 0,
      allocOutput: (n) => (out = new Uint8Array(n)),
      cancelled: () => false,
      services,
      clock: () => performance.now(),
      wallClock: () => Date.now(),
    });
  const r = await once();
  const t0 = performance.now();
  const again = await once();
  const ms = performance.now() - t0;
  if (r.status !== 'ok' || again.status !== 'ok')
    throw new Error(`${library}.${method}: ${r.error || again.error}`);
  return { ms, out: out.length, bytes: out.slice(0, again.output?.length ?? 0) };
}

const key = '00'.repeat(32);
const rows: [string, string, number][] = [];
const say = (label: string) => console.error(`[price-rates] ${label} (load ${loadavg()[0]!.toFixed(1)})`);
const perMib = async (label: string, lib: string, m: string, params: object, input: Uint8Array) => {
  const { ms } = await time(lib, m, params, input);
  rows.push([label, 'ms/MiB in', ms / (input.length / MIB)]);
};
const data = random(8 * MIB);
await perMib('crypto.sha256', 'crypto', 'sha256', {}, data);
await perMib('crypto.sha512', 'crypto', 'sha512', {}, data);
await perMib('crypto.blake3', 'crypto', 'blake3', {}, data);
await perMib('crypto.hmac_sha256', 'crypto', 'hmac_sha256', { key }, data);
await perMib(
  'crypto.chacha20poly1305',
  'crypto',
  'chacha20poly1305_encrypt',
  { key, nonce: '00'.repeat(12) },
  data,
);
await perMib('crypto.aes_gcm', 'crypto', 'aes_gcm_encrypt', { key, iv: '00'.repeat(12) }, data);
const msg = random(1024);
const sk = '01'.repeat(32);
await time('crypto', 'ed25519_sign', { secretKey: sk }, msg);
let signMs = 0;
for (let i = 0; i < 20; i++) signMs += (await time('crypto', 'ed25519_sign', { secretKey: sk }, msg)).ms;
rows.push(['crypto.ed25519_sign (1 KiB)', 'ms/op', signMs / 20]);
for (const q of [0, 3, 5, 7, 9, 11]) {
  const input = text(q >= 10 ? MIB : 4 * MIB);
  await perMib(`storage.compress q${q}`, 'storage', 'compress', { quality: q }, input);
}
const packed = (
  await runOnThread(registry, {
    library: 'storage',
    method: 'compress',
    params: '{"quality":5}',
    input: text(8 * MIB),
    budget: 1e9,
  })
).out;
const d = await time('storage', 'decompress', {}, packed);
rows.push(['storage.decompress', 'ms/MiB out', d.ms / (d.out / MIB)]);
// pow.search over a whole range (a target no hash meets): hashes per ms of one worker's search.
const POW_COUNT = 1 << 23;
const pow = await time(
  'pow',
  'search',
  { header: '01'.repeat(80), nonceStart: 0, count: POW_COUNT, target: '0'.repeat(63) + '1' },
  new Uint8Array(0),
);
rows.push(['pow.search (2^23 nonces)', 'hashes/ms', POW_COUNT / pow.ms]);

say('image');
// image.*: a photo-like RGB image, encoded by the capsule itself in each format.
const photo = (w: number, h: number): Uint8Array => {
  const px = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        const smooth = 128 + 100 * Math.sin((x * (c + 1)) / 170 + y / (90 + 40 * c));
        px[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, smooth + (rand() - 0.5) * 24));
      }
  return px;
};
const mp = (b: Uint8Array) => {
  const h = readImageHeader(b);
  if (!h) throw new Error('the bench image has no readable header');
  return (h.width * h.height) / 1e6;
};
const [W, H] = [1200, 900];
const raw = photo(W, H);
// AVIF encoding is slow (a 4-megapixel output limit): a smaller image keeps it inside the 5 s limit.
const rawAvif = photo(640, 480);
const encoded: Record<string, Uint8Array> = {};
for (const format of ['jpeg', 'png', 'webp', 'avif']) {
  const [w, h, px] = format === 'avif' ? [640, 480, rawAvif] : [W, H, raw];
  encoded[format] = (
    await time('image', 'encode', { format, raw: { width: w, height: h, channels: 3 } }, px)
  ).bytes;
}
const decodeRate: Record<string, number> = {};
const encodeRate: Record<string, number> = {};
for (const [format, img] of Object.entries(encoded)) {
  const dec = await time('image', 'decode', {}, img);
  decodeRate[format] = dec.ms / mp(img);
  const trans = await time('image', 'encode', {}, img);
  encodeRate[format] = Math.max(0, trans.ms - dec.ms) / mp(img);
  rows.push([`image decode ${format}`, 'ms/MP', decodeRate[format]]);
  rows.push([`image encode ${format}`, 'ms/MP', encodeRate[format]]);
}
const jpeg = encoded['jpeg']!;
const imageOp = async (label: string, m: string, params: object) => {
  const r = await time('image', m, params, jpeg);
  const [inMp, outMp] = [mp(jpeg), mp(r.bytes)];
  const rest = decodeRate['jpeg']! * inMp + encodeRate['jpeg']! * outMp;
  rows.push([`image.${label}`, 'ms/MP', (r.ms - rest) / Math.max(inMp, outMp)]);
};
for (const m of ['grayscale', 'rotate90', 'rotate180', 'rotate270', 'fliph', 'flipv', 'invert'])
  await imageOp(m, m, {});
await imageOp('brighten', 'brighten', { amount: 20 });
await imageOp('contrast', 'contrast', { amount: 30 });
await imageOp('blur sigma 1', 'blur', { sigma: 1 });
await imageOp('blur sigma 10', 'blur', { sigma: 10 });
await imageOp('resize Lanczos3 1/2', 'resize', { width: W / 2 });
await imageOp('resize Lanczos3 2x', 'resize', { width: W * 2 });
await imageOp('resize Gaussian 1/4', 'resize', { width: W / 4, filter: 'Gaussian' });
await imageOp('crop 1/4', 'crop', { x: 0, y: 0, width: W / 2, height: H / 2 });
const info = await time('image', 'info', {}, jpeg);
rows.push(['image.info', 'ms/op', info.ms]);

say('ml');
// ml.*: the models the npm packages ship (src/capsules/ml/models.ts).
const wav = (seconds: number): Uint8Array =>
  wav16k(seconds, (i) => 8000 * Math.sin(i / 9) * Math.sin(i / 4000) + (rand() - 0.5) * 2000);
const vad = await time('ml', 'vad', {}, wav(20));
rows.push(['ml.vad', 'ms/frame', vad.ms / Math.ceil((20 * 16_000) / 512)]);
const convert = (args: string[]) => new Uint8Array(execFileSync('convert', args, { maxBuffer: 64 << 20 }));
const blank = convert(['-size', '1000x1400', 'xc:white', '-depth', '8', 'ppm:-']);
const det = await time('ml', 'ocr', {}, blank);
const detWork = ocrWork(new TextDecoder().decode(det.bytes));
rows.push(['ml.ocr detection', 'ms/MP', det.ms / detWork.detMp]);
const LINES = [
  'The quick brown fox jumps over 13 lazy dogs.',
  'INOS contributes idle browser cycles 2026',
  'Pack my box with five dozen liquor jugs!',
  'Sphinx of black quartz, judge my vow.',
  'How vexingly quick daft zebras jump',
  'Bright vixens jump; dozy fowl quack.',
];
const pageArgs = [
  '-size',
  '1000x1400',
  'xc:white',
  '-font',
  'DejaVu-Sans',
  '-pointsize',
  '28',
  '-fill',
  'black',
];
LINES.forEach((l, i) => pageArgs.push('-annotate', `+24+${60 + i * 56}`, l));
const page = convert([...pageArgs, '-depth', '8', 'ppm:-']);
const read = await time('ml', 'ocr', {}, page);
const readWork = ocrWork(new TextDecoder().decode(read.bytes));
if (readWork.lineUnits === 0) throw new Error('the OCR bench page read no lines');
rows.push(['ml.ocr line', 'ms/unit', (read.ms - det.ms) / readWork.lineUnits]);
const crop = convert([
  ...['-background', 'white', '-fill', 'black', '-font', 'DejaVu-Sans', '-pointsize', '28'],
  ...[`label:${LINES[0]}`, '-depth', '8', 'ppm:-'],
]);
const cls = await time('ml', 'classify', {}, crop);
rows.push(['ml.classify', 'ms/piece', cls.ms / classifyPieces(crop)]);
const load = loadavg()
  .map((x) => x.toFixed(1))
  .join(' ');
// The machine's load, as a ratio: this run's time for the longest-running priced methods against
// the quiet reference run kept in the json (its `reference`, else its rows), median of them. The
// image and ml rates are also given divided by it (`perQuietWorker`).
const REFERENCE_ROWS = [
  'crypto.chacha20poly1305',
  'storage.compress q5',
  'storage.compress q7',
  'storage.compress q9',
  'storage.decompress',
  'pow.search (2^23 nonces)',
];
const previous = (() => {
  try {
    const old = JSON.parse(readFileSync('bench/results/price-rates.json', 'utf8')) as {
      reference?: { date: string; loadavg: string; rows: { method: string; value: number }[] };
      date: string;
      loadavg: string;
      rows: { method: string; value: number }[];
    };
    return old.reference ?? { date: old.date, loadavg: old.loadavg, rows: old.rows };
  } catch {
    return undefined;
  }
})();
const ratios = REFERENCE_ROWS.flatMap((m) => {
  const was = previous?.rows.find((r) => r.method === m)?.value;
  const now = rows.find((r) => r[0] === m)?.[2];
  if (!was || !now) return [];
  return [m.startsWith('pow.search') ? was / now : now / was];
}).sort((a, b) => a - b);
const loadFactor = ratios.length ? ratios[Math.floor(ratios.length / 2)]! : 1;
console.log(`load factor against the reference run ${previous?.date ?? '(none)'}: ${loadFactor.toFixed(2)}`);
console.log(`load ${load}`);
for (const [l, u, v] of rows) console.log(`${l.padEnd(32)} ${v.toFixed(2).padStart(9)} ${u}`);
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/price-rates.json',
  `${JSON.stringify(
    {
      bench: 'bench/ledger/price-rates.ts',
      date: new Date().toISOString(),
      loadavg: load,
      note: 'one run; each method run once as warm-up, then timed once, through the engine execute() on one Node thread',
      reference: previous,
      loadFactor: Number(loadFactor.toFixed(2)),
      rows: rows.map(([method, unit, v]) => ({
        method,
        value: Number(v.toFixed(2)),
        unit,
        ...(/^(image|ml)/.test(method) ? { perQuietWorker: Number((v / loadFactor).toFixed(2)) } : {}),
      })),
    },
    null,
    2,
  )}\n`,
);

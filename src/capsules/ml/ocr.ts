/**
 * PaddleOCR's pipeline on its ONNX models: DB text detection (resize to ≤ 960 px, multiples of 32;
 * probability map > 0.3; connected regions scoring ≥ 0.6; boxes grown by the DB "unclip" distance
 * area·2.0/perimeter), the 0°/180° angle classifier on each crop (in ≈ 4:1 pieces, averaged), and CRNN recognition at height 48
 * with greedy CTC decoding over ppocr_keys_v1 (+ space). Lines come in reading order, of the upright
 * page when most lines read at 180°. Boxes are axis-aligned: rotated text other than upside down is
 * not handled.
 */
import type { ModelSource } from './models.ts';
import { loadOrt, namedSession } from './ort.ts';
import { toTensor, type Rect, type RgbImage } from './image.ts';

export interface OcrLine {
  text: string;
  confidence: number;
  box: [number, number, number, number];
  angle: 0 | 180;
}

const DET_MAX_SIDE = 960;
/**
 * DB's unclip ratio: a region of area A and perimeter L grows by A·r/L on each side. PaddleOCR's
 * tools default 1.5 left 2–4 px above and below 20–36 pt DejaVu lines, and the recogniser then ran
 * words together ("Howvexingly"); 2.0 (PaddleOCR's hubserving ocr_system setting) read 24 pages
 * (DejaVu Sans/Serif/Mono/Bold at 20, 28, 36 pt, line pitch 1.3× and 2×) at 99.49–100%, where 1.5
 * read them at 91.41–100%.
 */
const UNCLIP_RATIO = 2.0;
const DET_MEAN = [0.485, 0.456, 0.406];
const DET_STD = [0.229, 0.224, 0.225];
/** At most this many classifier runs per line (a 1000-px line at 28 pt is about 6). */
const CLS_MAX_PIECES = 16;
const halfNorm = (v: number) => (v / 255 - 0.5) / 0.5;

let keysPromise: Promise<string[]> | null = null;
function dictionary(models: ModelSource | undefined): Promise<string[]> {
  if (!models) throw new Error('this host provides no ML models (CapsuleServices.mlModel)');
  keysPromise ??= models('keys').then((b) => {
    const keys = new TextDecoder().decode(b).split('\n');
    if (keys[keys.length - 1] === '') keys.pop();
    return ['', ...keys.map((k) => k.replace(/\r$/, '')), ' '];
  });
  return keysPromise;
}

/** Text boxes in image coordinates, top to bottom, then left to right. */
export async function detect(
  img: RgbImage,
  models: ModelSource | undefined,
  checkpoint: () => void,
): Promise<Rect[]> {
  const ort = await loadOrt();
  const session = await namedSession('det', models);
  const ratio = Math.min(1, DET_MAX_SIDE / Math.max(img.width, img.height));
  const h = Math.max(32, Math.round((img.height * ratio) / 32) * 32);
  const w = Math.max(32, Math.round((img.width * ratio) / 32) * 32);
  const x = toTensor(
    img,
    { x0: 0, y0: 0, x1: img.width, y1: img.height },
    w,
    h,
    (v, c) => (v / 255 - DET_MEAN[c]!) / DET_STD[c]!,
  );
  checkpoint();
  const out = await session.run({ x: new ort.Tensor('float32', x, [1, 3, h, w]) });
  checkpoint();
  const prob = Object.values(out)[0]!.data as Float32Array;
  const rects = components(prob, w, h);
  const sx = img.width / w;
  const sy = img.height / h;
  const boxes = rects.map((r) => ({
    x0: Math.max(0, r.x0 * sx),
    y0: Math.max(0, r.y0 * sy),
    x1: Math.min(img.width, r.x1 * sx),
    y1: Math.min(img.height, r.y1 * sy),
  }));
  boxes.sort((a, b) => (Math.abs(a.y0 - b.y0) < 10 ? a.x0 - b.x0 : a.y0 - b.y0));
  return boxes;
}

/** DB post-processing on the probability map: regions, scores, unclip (axis-aligned). */
function components(prob: Float32Array, w: number, h: number): Rect[] {
  const label = new Int32Array(w * h);
  const out: Rect[] = [];
  const stack: number[] = [];
  let next = 0;
  for (let start = 0; start < w * h; start++) {
    if (label[start] !== 0 || prob[start]! <= 0.3) continue;
    next++;
    label[start] = next;
    stack.push(start);
    let x0 = w,
      y0 = h,
      x1 = -1,
      y1 = -1;
    while (stack.length) {
      const p = stack.pop()!;
      const px = p % w;
      const py = (p - px) / w;
      x0 = Math.min(x0, px);
      x1 = Math.max(x1, px);
      y0 = Math.min(y0, py);
      y1 = Math.max(y1, py);
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const nx = px + dx;
          const ny = py + dy;
          if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
          const q = ny * w + nx;
          if (label[q] === 0 && prob[q]! > 0.3) {
            label[q] = next;
            stack.push(q);
          }
        }
    }
    const bw = x1 - x0 + 1;
    const bh = y1 - y0 + 1;
    if (Math.min(bw, bh) < 3) continue;
    let sum = 0;
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) sum += prob[y * w + x]!;
    if (sum / (bw * bh) < 0.6) continue;
    const d = (bw * bh * UNCLIP_RATIO) / (2 * (bw + bh));
    out.push({ x0: x0 - d, y0: y0 - d, x1: x1 + 1 + d, y1: y1 + 1 + d });
    if (out.length >= 1000) break;
  }
  return out;
}

/**
 * The angle classifier on one crop: 0 or 180 degrees, with its probability. The classifier takes
 * 48×192 (aspect 4); a long line squeezed into that width loses its letter shapes and was seen
 * flipped with p > 0.9 on upright DejaVu text, so a crop wider than 4:1 is cut into pieces of about
 * 4:1 and the pieces' probabilities are averaged.
 */
export async function classifyAngle(
  img: RgbImage,
  rect: Rect,
  models: ModelSource | undefined,
): Promise<{ angle: 0 | 180; confidence: number }> {
  const ort = await loadOrt();
  const session = await namedSession('cls', models);
  const H = 48;
  const W = 192;
  const rw = rect.x1 - rect.x0;
  const rh = Math.max(1, rect.y1 - rect.y0);
  const pieces = Math.min(CLS_MAX_PIECES, Math.max(1, Math.round(rw / rh / (W / H))));
  let up = 0;
  let down = 0;
  for (let i = 0; i < pieces; i++) {
    const piece = { ...rect, x0: rect.x0 + (i * rw) / pieces, x1: rect.x0 + ((i + 1) * rw) / pieces };
    const w = Math.min(W, Math.max(1, Math.ceil((H * (piece.x1 - piece.x0)) / rh)));
    const x = toTensor(img, piece, w, H, halfNorm, { W, pad: 0 });
    const out = await session.run({ x: new ort.Tensor('float32', x, [1, 3, H, W]) });
    const p = Object.values(out)[0]!.data as Float32Array;
    up += p[0]!;
    down += p[1]!;
  }
  return down > up ? { angle: 180, confidence: down / pieces } : { angle: 0, confidence: up / pieces };
}

/** Recognition of one crop: greedy CTC over the dictionary. */
export async function recognize(
  img: RgbImage,
  rect: Rect,
  flip: boolean,
  models: ModelSource | undefined,
): Promise<{ text: string; confidence: number }> {
  const ort = await loadOrt();
  const [session, keys] = await Promise.all([namedSession('rec', models), dictionary(models)]);
  const H = 48;
  const w = Math.max(1, Math.ceil((H * (rect.x1 - rect.x0)) / Math.max(1, rect.y1 - rect.y0)));
  const W = Math.max(320, w);
  const x = toTensor(img, rect, w, H, halfNorm, { W, pad: 0, flip });
  const out = Object.values(await session.run({ x: new ort.Tensor('float32', x, [1, 3, H, W]) }))[0]!;
  const [, T, C] = out.dims as [number, number, number];
  const p = out.data as Float32Array;
  let text = '';
  let conf = 0;
  let n = 0;
  let prev = -1;
  for (let t = 0; t < T; t++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (p[t * C + c]! > p[t * C + best]!) best = c;
    if (best !== 0 && best !== prev) {
      text += keys[best] ?? '';
      conf += p[t * C + best]!;
      n++;
    }
    prev = best;
  }
  return { text, confidence: n ? conf / n : 0 };
}

export async function ocr(
  img: RgbImage,
  models: ModelSource | undefined,
  checkpoint: () => void,
): Promise<OcrLine[]> {
  const read: { rect: Rect; flip: boolean; text: string; confidence: number }[] = [];
  for (const rect of await detect(img, models, checkpoint)) {
    checkpoint();
    const { angle, confidence: ac } = await classifyAngle(img, rect, models);
    const flip = angle === 180 && ac > 0.9;
    read.push({ rect, flip, ...(await recognize(img, rect, flip, models)) });
  }
  // The page's orientation is the majority's. A line the classifier turned the other way is read
  // again the page's way, and the reading with the higher mean confidence stays (on a page rotated
  // 180°, one of six DejaVu lines was classified upright and read as "ishn! jonb!l …").
  const pageFlip = read.filter((l) => l.flip).length * 2 > read.length;
  for (const l of read) {
    if (l.flip === pageFlip) continue;
    checkpoint();
    const again = await recognize(img, l.rect, pageFlip, models);
    if (again.confidence > l.confidence) Object.assign(l, again, { flip: pageFlip });
  }
  const r = (v: number) => Math.round(v);
  const lines: OcrLine[] = read
    .filter((l) => l.text.trim())
    .map((l) => ({
      text: l.text,
      confidence: Math.round(l.confidence * 1e4) / 1e4,
      box: [r(l.rect.x0), r(l.rect.y0), r(l.rect.x1), r(l.rect.y1)],
      angle: l.flip ? 180 : 0,
    }));
  // Detection ordered the boxes top to bottom, left to right in the image: on a page rotated 180°
  // that is the last line first. Reverse it (rows and the boxes within a row), so lines come in the
  // upright page's reading order; boxes stay in the image's coordinates.
  if (pageFlip) lines.reverse();
  return lines;
}

/**
 * Test inputs made by the reference tools CI installs: speech by espeak-ng, trimmed and joined with
 * known silences by sox (so the true segment boundaries are known to the sample), and text images by
 * ImageMagick with the DejaVu fonts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SpeechFixture {
  wav: Uint8Array;
  /** True speech [startMs, endMs] of each phrase. */
  truth: [number, number][];
}

export function speechWithSilences(phrases: string[], gapsS: number[]): SpeechFixture {
  const dir = mkdtempSync(join(tmpdir(), 'inos-vad-'));
  const silence = (s: number, i: number) => {
    const f = join(dir, `gap${i}.wav`);
    execFileSync('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', f, 'trim', '0', String(s)]);
    return f;
  };
  const parts = [silence(gapsS[0]!, 0)];
  const truth: [number, number][] = [];
  let t = gapsS[0]!;
  phrases.forEach((p, i) => {
    const raw = join(dir, `raw${i}.wav`);
    const f = join(dir, `speech${i}.wav`);
    execFileSync('espeak-ng', ['-w', raw, p]);
    // 16 kHz mono, leading and trailing silence cut at 0.5% of full scale: the speech's true extent.
    execFileSync('sox', [
      raw,
      '-r',
      '16000',
      '-c',
      '1',
      '-b',
      '16',
      f,
      'silence',
      '1',
      '0.01',
      '0.5%',
      'reverse',
      'silence',
      '1',
      '0.01',
      '0.5%',
      'reverse',
    ]);
    const d = Number(execFileSync('sox', ['--i', '-D', f]).toString());
    truth.push([t * 1000, (t + d) * 1000]);
    t += d + gapsS[i + 1]!;
    parts.push(f, silence(gapsS[i + 1]!, i + 1));
  });
  const out = join(dir, 'all.wav');
  execFileSync('sox', [...parts, out]);
  return { wav: new Uint8Array(readFileSync(out)), truth };
}

/** Lines of text rendered black on white (DejaVu Sans, 28 pt, 56 px apart unless told) as a binary PPM. */
export function textImage(
  lines: string[],
  opts: {
    rotate180?: boolean;
    width?: number;
    tight?: boolean;
    /** An ImageMagick font name (fonts-dejavu-core: DejaVu-Sans, DejaVu-Serif, DejaVu-Sans-Mono, DejaVu-Sans-Bold…). */
    font?: string;
    pointsize?: number;
    /** Baseline-to-baseline distance in pixels. */
    pitch?: number;
  } = {},
): Uint8Array {
  const font = opts.font ?? 'DejaVu-Sans';
  const pt = opts.pointsize ?? 28;
  const pitch = opts.pitch ?? 56;
  if (opts.tight) {
    // One line cropped to its text (ImageMagick's label:), as a detector would hand it to the classifier.
    const args = ['-background', 'white', '-fill', 'black', '-font', font, '-pointsize', String(pt)];
    args.push(
      `label:${lines.join(' ')}`,
      ...(opts.rotate180 ? ['-rotate', '180'] : []),
      '-depth',
      '8',
      'ppm:-',
    );
    return new Uint8Array(execFileSync('convert', args));
  }
  const width = opts.width ?? 1000;
  const args = [
    '-size',
    `${width}x${60 + lines.length * pitch}`,
    'xc:white',
    '-font',
    font,
    '-pointsize',
    String(pt),
    '-fill',
    'black',
  ];
  lines.forEach((l, i) => args.push('-annotate', `+24+${60 + i * pitch}`, l));
  if (opts.rotate180) args.push('-rotate', '180');
  args.push('-depth', '8', 'ppm:-');
  return new Uint8Array(execFileSync('convert', args, { maxBuffer: 64 << 20 }));
}

/** Pangrams: every letter, digits, punctuation; one page of 10 lines. */
export const PAGE_LINES = [
  'The quick brown fox jumps over 13 lazy dogs.',
  'Pack my box with five dozen liquor jugs!',
  'INOS contributes idle browser cycles.',
  'Sphinx of black quartz, judge my vow.',
  'How vexingly quick daft zebras jump 42.',
  'The five boxing wizards jump quickly.',
  'Jackdaws love my big sphinx of quartz.',
  'Waltz, bad nymph, for quick jigs vex 7.',
  'Glib jocks quiz nymph to vex dwarf 2026.',
  'Bright vixens jump; dozy fowl quack.',
];

/** Levenshtein distance, for character accuracy = 1 − distance / reference length. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

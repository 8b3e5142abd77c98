/**
 * Params of every image method, one zod schema each. Unknown keys are refused (strict objects), so a
 * misspelt option is an error that names the allowed keys, never silently ignored.
 */
import { z } from 'zod';
import { FORMATS } from './formats.ts';

export const FILTERS = ['Lanczos3', 'Triangle', 'CatmullRom', 'Gaussian', 'Nearest'] as const;
export type Filter = (typeof FILTERS)[number];

const dim = (name: string) =>
  z
    .number({ error: `${name} must be a whole number of pixels` })
    .int(`${name} must be a whole number of pixels`)
    .min(1, `${name} must be at least 1`)
    .max(100_000, `${name} must be at most 100000`);

const formatSchema = z.enum(FORMATS, { error: `format must be one of: ${FORMATS.join(', ')}` });
const qualitySchema = z
  .number({ error: 'quality must be a whole number 1-100' })
  .int('quality must be a whole number 1-100')
  .min(1, 'quality must be 1-100')
  .max(100, 'quality must be 1-100');

/** The output options every image-producing method takes. */
export const outputShape = {
  /** Default: the input's format. */
  format: formatSchema.optional(),
  /** jpeg, webp and avif only; default 80 (jpeg, webp) or 60 (avif). */
  quality: qualitySchema.optional(),
};

export const resizeShape = {
  width: dim('width').optional(),
  height: dim('height').optional(),
  filter: z.enum(FILTERS, { error: `filter must be one of: ${FILTERS.join(', ')}` }).optional(),
  /** Default true: fit inside width×height keeping the aspect ratio; false: exactly width×height. */
  preserve_aspect: z.boolean().optional(),
  /** [w, h]: resize only when the image is wider than w or taller than h; otherwise leave it as is. */
  if_larger_than: z.tuple([dim('if_larger_than[0]'), dim('if_larger_than[1]')]).optional(),
};
export const cropShape = {
  x: z.number().int().min(0, 'x must be ≥ 0'),
  y: z.number().int().min(0, 'y must be ≥ 0'),
  width: dim('width'),
  height: dim('height'),
};
export const blurShape = {
  sigma: z
    .number({ error: 'sigma must be a number from 0.1 to 50' })
    .min(0.1, 'sigma must be at least 0.1')
    .max(50, 'sigma must be at most 50'),
};
/** Added to every colour channel, clamped to 0-255 (alpha untouched). */
export const brightenShape = {
  amount: z.number().int('amount must be a whole number').min(-255).max(255),
};
/** Percent: out = 128 + (1 + amount/100)·(in − 128), rounded half up and clamped; -100 gives flat grey. */
export const contrastShape = {
  amount: z.number().min(-100, 'amount must be ≥ -100').max(1000, 'amount must be ≤ 1000'),
};

/** Operations without params. */
export const SIMPLE_OPS = [
  'grayscale',
  'rotate90',
  'rotate180',
  'rotate270',
  'fliph',
  'flipv',
  'invert',
] as const;
export type SimpleOp = (typeof SIMPLE_OPS)[number];

const opVariants = [
  z.strictObject({ method: z.literal('resize'), ...resizeShape }),
  z.strictObject({ method: z.literal('crop'), ...cropShape }),
  z.strictObject({ method: z.literal('blur'), ...blurShape }),
  z.strictObject({ method: z.literal('brighten'), ...brightenShape }),
  z.strictObject({ method: z.literal('contrast'), ...contrastShape }),
  ...SIMPLE_OPS.map((m) => z.strictObject({ method: z.literal(m) })),
] as const;
const OPS_TEXT = `one of resize, crop, blur, brighten, contrast, ${SIMPLE_OPS.join(', ')}, encode (last)`;

export const operationSchema = z.discriminatedUnion('method', [...opVariants], {
  error: `each operation needs "method": ${OPS_TEXT}`,
});
export type Operation = z.infer<typeof operationSchema>;

/** A final `{"method": "encode", "format", "quality"}` step is accepted too (the design's example). */
const encodeStep = z.strictObject({ method: z.literal('encode'), ...outputShape });
const batchStep = z.discriminatedUnion('method', [...opVariants, encodeStep], {
  error: `each operation needs "method": ${OPS_TEXT}`,
});

export const MAX_BATCH_OPS = 32;
export const batchSchema = z.strictObject({
  operations: z
    .array(batchStep)
    .min(1, 'operations must list at least one step')
    .max(MAX_BATCH_OPS, `operations may list at most ${MAX_BATCH_OPS} steps`),
  ...outputShape,
});

/** Raw pixels given to `encode` instead of an encoded image. */
export const rawShape = z.strictObject({
  width: dim('raw.width'),
  height: dim('raw.height'),
  channels: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)], {
    error: 'raw.channels must be 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA)',
  }),
});

/*
 * Native libvips side of `npm run bench:image` (bench/image/bench-image.ts compiles it with
 * `cc native-bench.c $(pkg-config --cflags --libs vips)`; needs Debian's libvips-dev).
 *
 * A long-lived process (started once, before any timing) that times the same jobs the image capsule
 * runs: decode from memory -> operation -> encode to memory, libvips concurrency 1, the operation
 * cache off, and the capsule's settings (access mode, fail_on, Q, PNG compression and filter, WebP
 * effort, no metadata; grayscale is the capsule's exact chain, not vips_colourspace).
 *
 * Usage: native-bench BIG_JPEG MID_JPEG; then one request a line on stdin: "CASE MODE N", where
 * MODE is full (the job), op (decode -> operation -> vips_avg, no encode) or decode (decode ->
 * vips_avg). Runs one untimed job, then N timed ones, and prints one JSON line:
 * {"ms":[per-job wall ms...],"loop_ms":wall of the N jobs,"bytes":output bytes of the last job}.
 */
#include <vips/vips.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static gchar *big, *mid;
static gsize big_len, mid_len;

/* The capsule's grayscale (src/capsules/image/pipeline.ts): ImageMagick's Rec601Luma in Q16. */
static int grayscale(VipsImage *in, VipsImage **out) {
  VipsImage *t[7] = {0};
  double luma[3] = {0.298839, 0.586811, 0.11435};
  VipsImage *m = vips_image_new_matrix_from_array(3, 1, luma, 3);
  int r = vips_cast(in, &t[0], VIPS_FORMAT_DOUBLE, NULL) || vips_linear1(t[0], &t[1], 257, 0, NULL) ||
          vips_recomb(t[1], &t[2], m, NULL) || vips_linear1(t[2], &t[3], 1, 0.5, NULL) ||
          vips_floor(t[3], &t[4], NULL) || vips_linear1(t[4], &t[5], 1.0 / 257, 0, NULL) ||
          vips_floor(t[5], &t[6], NULL) || vips_cast(t[6], out, VIPS_FORMAT_UCHAR, NULL);
  for (int i = 0; i < 7; i++)
    if (t[i]) g_object_unref(t[i]);
  g_object_unref(m);
  return r;
}

/* One job; *bytes gets the output size (full mode). Returns 0 on success. */
static int job(const char *name, const char *mode, size_t *bytes) {
  int is_big = !strcmp(name, "pipeline_12mp_lanczos3_quarter_jpeg_q80");
  /* The capsule's access: random for resize and rotations, sequential otherwise. */
  int random = is_big || !strcmp(name, "rotate90_2mp");
  VipsImage *in = vips_image_new_from_buffer(is_big ? big : mid, is_big ? big_len : mid_len, "",
                                             "access", random ? VIPS_ACCESS_RANDOM : VIPS_ACCESS_SEQUENTIAL,
                                             "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
  if (!in) return -1;
  VipsImage *out = NULL;
  const char *suffix = ".jpg";
  int r;
  if (!strcmp(mode, "decode"))
    r = vips_copy(in, &out, NULL);
  else if (is_big)
    r = vips_resize(in, &out, 0.25, "kernel", VIPS_KERNEL_LANCZOS3, "gap", 0.0, NULL);
  else if (!strcmp(name, "rotate90_2mp"))
    r = vips_rot(in, &out, VIPS_ANGLE_D90, NULL);
  else if (!strcmp(name, "fliph_2mp"))
    r = vips_flip(in, &out, VIPS_DIRECTION_HORIZONTAL, NULL);
  else if (!strcmp(name, "invert_2mp"))
    r = vips_invert(in, &out, NULL);
  else if (!strcmp(name, "grayscale_2mp"))
    r = grayscale(in, &out);
  else if (!strcmp(name, "blur_sigma2_2mp"))
    r = vips_gaussblur(in, &out, 2.0, NULL);
  else if (!strcmp(name, "encode_webp_q80_2mp")) {
    r = vips_copy(in, &out, NULL);
    suffix = ".webp";
  } else if (!strcmp(name, "encode_png_2mp")) {
    r = vips_copy(in, &out, NULL);
    suffix = ".png";
  } else {
    fprintf(stderr, "unknown case %s\n", name);
    exit(2);
  }
  g_object_unref(in);
  if (r) return -1;
  if (strcmp(mode, "full")) {
    double avg;
    r = vips_avg(out, &avg, NULL);
    g_object_unref(out);
    *bytes = 0;
    return r;
  }
  void *obuf = NULL;
  size_t olen = 0;
  if (!strcmp(suffix, ".png"))
    r = vips_image_write_to_buffer(out, suffix, &obuf, &olen, "compression", 6, "filter",
                                   VIPS_FOREIGN_PNG_FILTER_NONE, "strip", TRUE, NULL);
  else if (!strcmp(suffix, ".webp"))
    r = vips_image_write_to_buffer(out, suffix, &obuf, &olen, "Q", 80, "effort", 4, "strip", TRUE, NULL);
  else
    r = vips_image_write_to_buffer(out, suffix, &obuf, &olen, "Q", 80, "strip", TRUE, NULL);
  g_object_unref(out);
  g_free(obuf);
  *bytes = olen;
  return r;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: native-bench BIG_JPEG MID_JPEG (then \"CASE MODE N\" lines on stdin)\n");
    return 2;
  }
  if (VIPS_INIT(argv[0])) vips_error_exit(NULL);
  vips_concurrency_set(1);
  vips_cache_set_max(0);
  if (!g_file_get_contents(argv[1], &big, &big_len, NULL) ||
      !g_file_get_contents(argv[2], &mid, &mid_len, NULL)) {
    fprintf(stderr, "cannot read the inputs\n");
    return 2;
  }
  printf("ready\n");
  fflush(stdout);
  char name[128], mode[16];
  int n;
  while (scanf("%127s %15s %d", name, mode, &n) == 3) {
    size_t bytes = 0;
    if (job(name, mode, &bytes)) vips_error_exit("warm-up"); /* not timed */
    printf("{\"ms\":[");
    double start = now_ms();
    for (int i = 0; i < n; i++) {
      double t = now_ms();
      if (job(name, mode, &bytes)) vips_error_exit("job");
      printf("%s%.2f", i ? "," : "", now_ms() - t);
    }
    printf("],\"loop_ms\":%.2f,\"bytes\":%zu}\n", now_ms() - start, bytes);
    fflush(stdout);
  }
  g_free(big);
  g_free(mid);
  vips_shutdown();
  return 0;
}

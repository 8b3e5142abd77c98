/*
 * Native libvips side of `npm run bench:image` (bench/image/bench-image.ts compiles it with
 * `cc native-bench.c $(pkg-config --cflags --libs vips)`; needs Debian's libvips-dev).
 *
 * Times the same jobs the image capsule runs, inside one process, so process start-up is not in the
 * figure: decode from memory -> operation -> encode to memory, libvips concurrency 1, the operation
 * cache off (as in the capsule). Usage: native-bench CASE FILE ROUNDS; prints one line of JSON:
 * {"case":..., "ms":[per-round wall ms...], "loop_ms": wall of all rounds}.
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

/* One job: returns 0 on success. */
static int job(const char *name, const void *buf, size_t len) {
  VipsImage *in = vips_image_new_from_buffer(buf, len, "", NULL);
  if (!in) return -1;
  VipsImage *out = NULL;
  const char *suffix = ".jpg";
  int r;
  if (!strcmp(name, "pipeline_12mp_lanczos3_quarter_jpeg_q80"))
    r = vips_resize(in, &out, 0.25, "kernel", VIPS_KERNEL_LANCZOS3, "gap", 0.0, NULL);
  else if (!strcmp(name, "rotate90_2mp"))
    r = vips_rot(in, &out, VIPS_ANGLE_D90, NULL);
  else if (!strcmp(name, "fliph_2mp"))
    r = vips_flip(in, &out, VIPS_DIRECTION_HORIZONTAL, NULL);
  else if (!strcmp(name, "invert_2mp"))
    r = vips_invert(in, &out, NULL);
  else if (!strcmp(name, "grayscale_2mp"))
    r = vips_colourspace(in, &out, VIPS_INTERPRETATION_B_W, NULL);
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
  void *obuf = NULL;
  size_t olen = 0;
  if (!strcmp(suffix, ".png"))
    r = vips_image_write_to_buffer(out, suffix, &obuf, &olen, "compression", 6, "strip", TRUE, NULL);
  else
    r = vips_image_write_to_buffer(out, suffix, &obuf, &olen, "Q", 80, "strip", TRUE, NULL);
  g_object_unref(out);
  g_free(obuf);
  return r;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: native-bench CASE FILE ROUNDS\n");
    return 2;
  }
  if (VIPS_INIT(argv[0])) vips_error_exit(NULL);
  vips_concurrency_set(1);
  vips_cache_set_max(0);
  gchar *buf = NULL;
  gsize len = 0;
  if (!g_file_get_contents(argv[2], &buf, &len, NULL)) {
    fprintf(stderr, "cannot read %s\n", argv[2]);
    return 2;
  }
  int rounds = atoi(argv[3]);
  if (job(argv[1], buf, len)) vips_error_exit("warm-up"); /* warm-up, not timed */
  printf("{\"case\":\"%s\",\"ms\":[", argv[1]);
  double start = now_ms();
  for (int i = 0; i < rounds; i++) {
    double t = now_ms();
    if (job(argv[1], buf, len)) vips_error_exit("job");
    printf("%s%.2f", i ? "," : "", now_ms() - t);
  }
  printf("],\"loop_ms\":%.2f}\n", now_ms() - start);
  g_free(buf);
  vips_shutdown();
  return 0;
}

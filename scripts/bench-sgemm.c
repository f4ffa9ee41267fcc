// The matrix products of one MiniLM forward pass, timed on whichever BLAS this is linked with
// (issue 20: OpenBLAS's kernels against Debian's BLIS). Single-threaded, as SentenceEmbedder
// runs them (one 1024-token batch per core); best of --rounds, in GFLOP/s. Also checks one
// product against a plain triple loop, so a kernel that computes wrong results shows.
// Build and run both: scripts/bench-sgemm
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { RowMajor = 101, NoTrans = 111, Trans = 112 };
void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float* a, int lda,
                 const float* b, int ldb, float beta, float* c, int ldc);

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static float* filled(size_t count, unsigned seed) {
  float* values = malloc(count * sizeof(float));
  for (size_t i = 0; i < count; i++) { seed = seed * 1103515245u + 12345u; values[i] = ((seed >> 9) & 0xffff) / 32768.0f - 1.0f; }
  return values;
}

int main(int argc, char** argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 20;
  // Single-threaded, whichever library this is.
  void (*openblasThreads)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
  void (*blisThreads)(long) = (void (*)(long))dlsym(RTLD_DEFAULT, "bli_thread_set_num_threads");
  char* (*corename)(void) = (char* (*)(void))dlsym(RTLD_DEFAULT, "openblas_get_corename");
  if (openblasThreads) openblasThreads(1);
  if (blisThreads) blisThreads(1);
  printf("library: %s\n", corename ? corename() : (blisThreads ? "BLIS" : "unknown"));

  // m tokens × k inputs · k × n weights (stored n × k, as the model's are: B transposed).
  struct { const char* name; int m, n, k; } shapes[] = {
    {"batch: query/key/value/output 1024x384x384", 1024, 384, 384},
    {"batch: feed-forward up 1024x1536x384", 1024, 1536, 384},
    {"batch: feed-forward down 1024x384x1536", 1024, 384, 1536},
    {"query: projection 16x384x384", 16, 384, 384},
    {"query: feed-forward up 16x1536x384", 16, 1536, 384},
  };
  double perPass = 0;
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    int m = shapes[s].m, n = shapes[s].n, k = shapes[s].k;
    float *a = filled((size_t)m * k, 1), *b = filled((size_t)n * k, 2), *c = calloc((size_t)m * n, sizeof(float));
    double best = 1e9;
    int repeat = m < 64 ? 200 : 1;
    for (int r = 0; r < rounds; r++) {
      double start = now();
      for (int i = 0; i < repeat; i++) cblas_sgemm(RowMajor, NoTrans, Trans, m, n, k, 1, a, k, b, k, 0, c, n);
      double seconds = (now() - start) / repeat;
      if (seconds < best) best = seconds;
    }
    // Check a few entries against the plain sum.
    double worst = 0;
    for (int probe = 0; probe < 64; probe++) {
      int i = (probe * 7919) % m, j = (probe * 104729) % n;
      double sum = 0, scale = 0;
      for (int p = 0; p < k; p++) { sum += (double)a[(size_t)i * k + p] * b[(size_t)j * k + p]; scale += fabs((double)a[(size_t)i * k + p] * b[(size_t)j * k + p]); }
      double error = fabs(c[(size_t)i * n + j] - sum) / (scale > 0 ? scale : 1);
      if (error > worst) worst = error;
    }
    printf("%-48s %8.1f GFLOP/s  %9.3f ms  max relative error %.1e\n", shapes[s].name, 2.0 * m * n * k / best / 1e9, best * 1e3, worst);
    if (m == 1024) perPass += best * (n == 384 && k == 384 ? 4 : 1);
    free(a); free(b); free(c);
  }
  // One layer's projections for a 1024-token batch (4 square, up, down); MiniLM has 6 layers.
  printf("per 1024-token batch, 6 layers' projections: %.1f ms\n", perPass * 6 * 1e3);
  return 0;
}

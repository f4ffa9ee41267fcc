// Usage: gcc -O1 scripts/openblas-fence.c -o /tmp/openblas-fence -lopenblas && OPENBLAS_VERBOSE=2 /tmp/openblas-fence
// (set OPENBLAS_CORETYPE, OPENBLAS_NUM_THREADS and FENCE_BEFORE=1 to vary the run; see SECURITY.md, "The 1M crash under AddressSanitizer").
// Electric-fence check of OpenBLAS itself (which ASan does not instrument): every buffer ends
// (or, with FENCE_BEFORE, starts) exactly at a PROT_NONE page, so a read or write one float past
// (or before) the sizes the caller passes faults at once.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cblas.h>
char* openblas_get_corename(void);
static int before = 0;
static float* fenced(size_t count) {
  size_t page = sysconf(_SC_PAGESIZE), bytes = count * sizeof(float);
  size_t span = (bytes + page - 1) / page * page;
  char* base = mmap(NULL, span + 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) { perror("mmap"); exit(2); }
  mprotect(base, page, PROT_NONE);
  mprotect(base + page + span, page, PROT_NONE);
  float* p = before ? (float*)(base + page) : (float*)(base + page + span - bytes);
  for (size_t i = 0; i < count; i++) p[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
  return p;
}
static void release(float* p, size_t count) {
  size_t page = sysconf(_SC_PAGESIZE), bytes = count * sizeof(float);
  size_t span = (bytes + page - 1) / page * page;
  char* base = before ? (char*)p - page : (char*)p + bytes - span - page;
  munmap(base, span + 2 * page);
}
int main(int argc, char** argv) {
  before = getenv("FENCE_BEFORE") != NULL;
  const int k = 384;
  // m: full batch, last batches of the 1M benchmark's training sample (96000 % 1024) and
  // assignment (1e6 % 1024), the server's 5000-row pages (5000 % 1024), small remainders.
  int ms[] = {1024, 768, 576, 904, 1, 2, 3, 7, 15, 16, 17, 31, 33, 100, 1023};
  // n: list counts 2·√count for 1M and for the sizes a loading server retrains at, and odd ones.
  int ns[] = {2000, 648, 917, 1296, 1833, 633, 1, 2, 3, 15, 17, 31, 33, 1999, 2001};
  long calls = 0;
  for (unsigned a = 0; a < sizeof ms / sizeof *ms; a++)
    for (unsigned b = 0; b < sizeof ns / sizeof *ns; b++) {
      int m = ms[a], n = ns[b];
      float *A = fenced((size_t)m * k), *B = fenced((size_t)n * k), *C = fenced((size_t)m * n);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, A, k, B, k, 0, C, n);
      // spot check one entry against a plain dot product
      int r = m / 2, c = n / 3; double ref = 0;
      for (int i = 0; i < k; i++) ref += (double)A[(size_t)r * k + i] * B[(size_t)c * k + i];
      double got = C[(size_t)r * n + c];
      if (got - ref > 1e-3 || ref - got > 1e-3) { printf("WRONG m=%d n=%d: %f vs %f\n", m, n, got, ref); return 1; }
      release(A, (size_t)m * k); release(B, (size_t)n * k); release(C, (size_t)m * n);
      calls++;
    }
  // sgemv of the benchmark (m rows × 384) and sdot of 384 values
  int gm[] = {1000000, 100000, 5000, 1, 17};
  for (unsigned a = 0; a < sizeof gm / sizeof *gm; a++) {
    int m = gm[a];
    float *A = fenced((size_t)m * k), *x = fenced(k), *y = fenced(m);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, m, k, 1, A, k, x, 1, 0, y, 1);
    release(A, (size_t)m * k); release(x, k); release(y, m); calls++;
  }
  for (int n = 1; n <= 400; n++) {
    float *x = fenced(n), *y = fenced(n);
    volatile float d = cblas_sdot(n, x, 1, y, 1); (void)d;
    release(x, n); release(y, n); calls++;
  }
  printf("core %s, fence %s: %ld calls, no fault, results checked\n", openblas_get_corename(), before ? "before" : "after", calls);
  return 0;
}

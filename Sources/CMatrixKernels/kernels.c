// Small-m matrix products for the embedding model (issue 17), in single and half precision. OpenBLAS's sgemm copies (packs)
// the whole weight matrix on every call; with a query's handful of tokens that copy costs more
// than the arithmetic (perf). This kernel reads each weight row once, straight from the model,
// and keeps the token rows in L1. Compiled for AVX2+FMA by attribute and chosen at run time, so
// the binary still runs on older x86-64 CPUs (the caller falls back to sgemm there).
#include "CMatrixKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

void paperboy_spin_pause(void) { _mm_pause(); }

int paperboy_matrix_kernels_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

__attribute__((target("avx2,fma")))
static inline float horizontal_sum(__m256 v) {
    __m128 low = _mm256_castps256_ps128(v);
    __m128 high = _mm256_extractf128_ps(v, 1);
    __m128 sum = _mm_add_ps(low, high);
    sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
    sum = _mm_add_ss(sum, _mm_shuffle_ps(sum, sum, 1));
    return _mm_cvtss_f32(sum);
}

__attribute__((target("avx2,fma")))
void paperboy_rows_times_weights(const float *a, long a_stride, const float *w, long k,
                                 float *c, long c_stride, long m, long n) {
    const long vector_end = k - k % 8;
    long j = 0;
    // Two weight rows at a time against four token rows: eight accumulators.
    for (; j + 2 <= n; j += 2) {
        const float *w0 = w + j * k, *w1 = w0 + k;
        long i = 0;
        for (; i + 4 <= m; i += 4) {
            const float *a0 = a + i * a_stride, *a1 = a0 + a_stride, *a2 = a1 + a_stride, *a3 = a2 + a_stride;
            __m256 s00 = _mm256_setzero_ps(), s01 = _mm256_setzero_ps(), s10 = _mm256_setzero_ps(), s11 = _mm256_setzero_ps();
            __m256 s20 = _mm256_setzero_ps(), s21 = _mm256_setzero_ps(), s30 = _mm256_setzero_ps(), s31 = _mm256_setzero_ps();
            for (long l = 0; l < vector_end; l += 8) {
                __m256 x0 = _mm256_loadu_ps(w0 + l), x1 = _mm256_loadu_ps(w1 + l);
                __m256 r = _mm256_loadu_ps(a0 + l);
                s00 = _mm256_fmadd_ps(r, x0, s00); s01 = _mm256_fmadd_ps(r, x1, s01);
                r = _mm256_loadu_ps(a1 + l);
                s10 = _mm256_fmadd_ps(r, x0, s10); s11 = _mm256_fmadd_ps(r, x1, s11);
                r = _mm256_loadu_ps(a2 + l);
                s20 = _mm256_fmadd_ps(r, x0, s20); s21 = _mm256_fmadd_ps(r, x1, s21);
                r = _mm256_loadu_ps(a3 + l);
                s30 = _mm256_fmadd_ps(r, x0, s30); s31 = _mm256_fmadd_ps(r, x1, s31);
            }
            float t00 = horizontal_sum(s00), t01 = horizontal_sum(s01), t10 = horizontal_sum(s10), t11 = horizontal_sum(s11);
            float t20 = horizontal_sum(s20), t21 = horizontal_sum(s21), t30 = horizontal_sum(s30), t31 = horizontal_sum(s31);
            for (long l = vector_end; l < k; l++) {
                t00 += a0[l] * w0[l]; t01 += a0[l] * w1[l]; t10 += a1[l] * w0[l]; t11 += a1[l] * w1[l];
                t20 += a2[l] * w0[l]; t21 += a2[l] * w1[l]; t30 += a3[l] * w0[l]; t31 += a3[l] * w1[l];
            }
            c[i * c_stride + j] += t00; c[i * c_stride + j + 1] += t01;
            c[(i + 1) * c_stride + j] += t10; c[(i + 1) * c_stride + j + 1] += t11;
            c[(i + 2) * c_stride + j] += t20; c[(i + 2) * c_stride + j + 1] += t21;
            c[(i + 3) * c_stride + j] += t30; c[(i + 3) * c_stride + j + 1] += t31;
        }
        for (; i < m; i++) {
            const float *a0 = a + i * a_stride;
            __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
            for (long l = 0; l < vector_end; l += 8) {
                __m256 r = _mm256_loadu_ps(a0 + l);
                s0 = _mm256_fmadd_ps(r, _mm256_loadu_ps(w0 + l), s0);
                s1 = _mm256_fmadd_ps(r, _mm256_loadu_ps(w1 + l), s1);
            }
            float t0 = horizontal_sum(s0), t1 = horizontal_sum(s1);
            for (long l = vector_end; l < k; l++) { t0 += a0[l] * w0[l]; t1 += a0[l] * w1[l]; }
            c[i * c_stride + j] += t0;
            c[i * c_stride + j + 1] += t1;
        }
    }
    for (; j < n; j++) {
        const float *w0 = w + j * k;
        for (long i = 0; i < m; i++) {
            const float *a0 = a + i * a_stride;
            __m256 s0 = _mm256_setzero_ps();
            for (long l = 0; l < vector_end; l += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a0 + l), _mm256_loadu_ps(w0 + l), s0);
            float t0 = horizontal_sum(s0);
            for (long l = vector_end; l < k; l++) t0 += a0[l] * w0[l];
            c[i * c_stride + j] += t0;
        }
    }
}

int paperboy_half_kernels_available(void) {
    __builtin_cpu_init();
    return paperboy_matrix_kernels_available() && __builtin_cpu_supports("f16c");
}

__attribute__((target("avx2,fma,f16c")))
void paperboy_floats_to_halves(const float *source, unsigned short *destination, long count) {
    long i = 0;
    for (; i + 8 <= count; i += 8) {
        __m128i halves = _mm256_cvtps_ph(_mm256_loadu_ps(source + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm_storeu_si128((__m128i *)(destination + i), halves);
    }
    for (; i < count; i++) destination[i] = _cvtss_sh(source[i], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

__attribute__((target("avx2,fma,f16c")))
static inline __m256 load_halves(const unsigned short *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

__attribute__((target("avx2,fma,f16c")))
void paperboy_rows_times_half_weights(const float *a, long a_stride, const unsigned short *w, long k,
                                      float *c, long c_stride, long m, long n) {
    const long vector_end = k - k % 8;
    long j = 0;
    for (; j + 2 <= n; j += 2) {
        const unsigned short *w0 = w + j * k, *w1 = w0 + k;
        long i = 0;
        for (; i + 4 <= m; i += 4) {
            const float *a0 = a + i * a_stride, *a1 = a0 + a_stride, *a2 = a1 + a_stride, *a3 = a2 + a_stride;
            __m256 s00 = _mm256_setzero_ps(), s01 = _mm256_setzero_ps(), s10 = _mm256_setzero_ps(), s11 = _mm256_setzero_ps();
            __m256 s20 = _mm256_setzero_ps(), s21 = _mm256_setzero_ps(), s30 = _mm256_setzero_ps(), s31 = _mm256_setzero_ps();
            for (long l = 0; l < vector_end; l += 8) {
                __m256 x0 = load_halves(w0 + l), x1 = load_halves(w1 + l);
                __m256 r = _mm256_loadu_ps(a0 + l);
                s00 = _mm256_fmadd_ps(r, x0, s00); s01 = _mm256_fmadd_ps(r, x1, s01);
                r = _mm256_loadu_ps(a1 + l);
                s10 = _mm256_fmadd_ps(r, x0, s10); s11 = _mm256_fmadd_ps(r, x1, s11);
                r = _mm256_loadu_ps(a2 + l);
                s20 = _mm256_fmadd_ps(r, x0, s20); s21 = _mm256_fmadd_ps(r, x1, s21);
                r = _mm256_loadu_ps(a3 + l);
                s30 = _mm256_fmadd_ps(r, x0, s30); s31 = _mm256_fmadd_ps(r, x1, s31);
            }
            float t00 = horizontal_sum(s00), t01 = horizontal_sum(s01), t10 = horizontal_sum(s10), t11 = horizontal_sum(s11);
            float t20 = horizontal_sum(s20), t21 = horizontal_sum(s21), t30 = horizontal_sum(s30), t31 = horizontal_sum(s31);
            for (long l = vector_end; l < k; l++) {
                float v0 = _cvtsh_ss(w0[l]), v1 = _cvtsh_ss(w1[l]);
                t00 += a0[l] * v0; t01 += a0[l] * v1; t10 += a1[l] * v0; t11 += a1[l] * v1;
                t20 += a2[l] * v0; t21 += a2[l] * v1; t30 += a3[l] * v0; t31 += a3[l] * v1;
            }
            c[i * c_stride + j] += t00; c[i * c_stride + j + 1] += t01;
            c[(i + 1) * c_stride + j] += t10; c[(i + 1) * c_stride + j + 1] += t11;
            c[(i + 2) * c_stride + j] += t20; c[(i + 2) * c_stride + j + 1] += t21;
            c[(i + 3) * c_stride + j] += t30; c[(i + 3) * c_stride + j + 1] += t31;
        }
        for (; i < m; i++) {
            const float *a0 = a + i * a_stride;
            __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
            for (long l = 0; l < vector_end; l += 8) {
                __m256 r = _mm256_loadu_ps(a0 + l);
                s0 = _mm256_fmadd_ps(r, load_halves(w0 + l), s0);
                s1 = _mm256_fmadd_ps(r, load_halves(w1 + l), s1);
            }
            float t0 = horizontal_sum(s0), t1 = horizontal_sum(s1);
            for (long l = vector_end; l < k; l++) { t0 += a0[l] * _cvtsh_ss(w0[l]); t1 += a0[l] * _cvtsh_ss(w1[l]); }
            c[i * c_stride + j] += t0;
            c[i * c_stride + j + 1] += t1;
        }
    }
    for (; j < n; j++) {
        const unsigned short *w0 = w + j * k;
        for (long i = 0; i < m; i++) {
            const float *a0 = a + i * a_stride;
            __m256 s0 = _mm256_setzero_ps();
            for (long l = 0; l < vector_end; l += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a0 + l), load_halves(w0 + l), s0);
            float t0 = horizontal_sum(s0);
            for (long l = vector_end; l < k; l++) t0 += a0[l] * _cvtsh_ss(w0[l]);
            c[i * c_stride + j] += t0;
        }
    }
}

#else

void paperboy_spin_pause(void) {}

int paperboy_matrix_kernels_available(void) { return 0; }

int paperboy_half_kernels_available(void) { return 0; }

// Callers check the availability functions first; these exist so the module links everywhere.
void paperboy_floats_to_halves(const float *source, unsigned short *destination, long count) {
    (void)source; (void)destination; (void)count;
}

void paperboy_rows_times_half_weights(const float *a, long a_stride, const unsigned short *w, long k,
                                      float *c, long c_stride, long m, long n) {
    (void)a; (void)a_stride; (void)w; (void)k; (void)c; (void)c_stride; (void)m; (void)n;
}

// Plain C elsewhere: correct, if slower than sgemm (callers use it only when available).
void paperboy_rows_times_weights(const float *a, long a_stride, const float *w, long k,
                                 float *c, long c_stride, long m, long n) {
    for (long j = 0; j < n; j++) {
        for (long i = 0; i < m; i++) {
            float sum = 0;
            for (long l = 0; l < k; l++) sum += a[i * a_stride + l] * w[j * k + l];
            c[i * c_stride + j] += sum;
        }
    }
}

#endif

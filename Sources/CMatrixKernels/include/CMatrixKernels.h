#ifndef PAPERBOY_MATRIX_KERNELS_H
#define PAPERBOY_MATRIX_KERNELS_H

/// Whether `paperboy_rows_times_weights` runs on this CPU (AVX2 and FMA).
int paperboy_matrix_kernels_available(void);

/// C[i][j] += sum over l of A[i][l] * W[j][l], for i < m and j < n: a few rows (a short text's
/// tokens) against a weight matrix of n rows of k, read once and never copied. Row strides in
/// floats. Call only when `paperboy_matrix_kernels_available()` is nonzero.
void paperboy_rows_times_weights(const float *a, long a_stride, const float *w, long k,
                                 float *c, long c_stride, long m, long n);

/// Whether the half-precision variant runs (AVX2, FMA and F16C).
int paperboy_half_kernels_available(void);

/// `count` floats rounded to IEEE half precision (round to nearest even).
void paperboy_floats_to_halves(const float *source, unsigned short *destination, long count);

/// As `paperboy_rows_times_weights`, with the weights in half precision (half the bytes to
/// stream from memory, which bounds a short query's products); sums in single precision.
void paperboy_rows_times_half_weights(const float *a, long a_stride, const unsigned short *w, long k,
                                      float *c, long c_stride, long m, long n);

/// A spin-wait hint to the CPU (`pause` on x86-64): lets the sibling hyperthread run and saves
/// power while a thread waits for another's product part (`ProductTeam`).
void paperboy_spin_pause(void);

#endif

import COpenBLAS

/// The extra OpenBLAS entry points the embedding model needs: strided products for the
/// attention heads, which live side by side inside one query/key/value matrix.
extension BLAS {
    /// C = alpha · A · op(B) + beta · C, row-major, with explicit row strides.
    /// A is m×k; op(B) is k×n, where B is stored n×k when `transposeB` and k×n otherwise.
    static func multiply(
        _ a: UnsafePointer<Float>, rowStride aStride: Int,
        _ b: UnsafePointer<Float>, rowStride bStride: Int, transposeB: Bool,
        into c: UnsafeMutablePointer<Float>, rowStride cStride: Int,
        m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0
    ) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(aStride), b, Int32(bStride),
                    beta, c, Int32(cStride))
    }

    /// Sets how many threads OpenBLAS uses inside one call. The setting is process-wide.
    static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }
}

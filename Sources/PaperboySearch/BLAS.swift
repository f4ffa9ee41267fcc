import COpenBLAS

/// Thin, typed entry points to the OpenBLAS routines search needs.
public enum BLAS {
    /// C = alpha · A · Bᵀ + beta · C, row-major: A is m×k, B is n×k, C is m×n.
    public static func multiplyTransposed(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0
    ) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(k), b, Int32(k), beta, c, Int32(n))
    }
}

import COpenBLAS

extension BLAS {
    /// Σ x[i] · y[i] over `count` values. Runs on the calling thread for short vectors.
    @inline(__always)
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        cblas_sdot(Int32(count), x, 1, y, 1)
    }

    /// y = alpha · A · x + beta · y, row-major: A is m×n, x has n values, y has m.
    /// OpenBLAS may split one call over its threads (it does for a 4096×384 matrix).
    public static func multiplyVector(
        _ a: UnsafePointer<Float>, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
        m: Int, n: Int, alpha: Float = 1, beta: Float = 0
    ) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(n), alpha, a, Int32(n), x, 1, beta, y, 1)
    }

    /// Threads OpenBLAS uses for large calls (all cores unless OPENBLAS_NUM_THREADS says otherwise).
    public static var threadCount: Int {
        Int(openblas_get_num_threads())
    }
}

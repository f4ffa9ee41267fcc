import Foundation
@testable import PaperboySearch
import Testing

@Suite struct BLASStressTests {
    /// Large sgemm calls (the shape of IVF list assignment) from several threads at once, with
    /// OpenBLAS at one thread per call: the situation of a server training its index while
    /// loading vectors. Guards against the crash seen once in a 1M benchmark (not reproduced).
    @Test func largeProducts_fromSeveralThreadsAtOnce_doNotCrash() async {
        // As in a server: the embedder has set OpenBLAS to one thread per call.
        BLAS.setThreadCount(1)
        let rows = 1024, centroids = 2000, dimensions = 384
        let a = [Float](repeating: 0.01, count: rows * dimensions)
        let b = [Float](repeating: 0.02, count: centroids * dimensions)
        // Half on Dispatch queue threads (where the index rebuild runs), half on the cooperative pool.
        let queueDone = DispatchGroup()
        for index in 0..<2 {
            DispatchQueue(label: "stress-\(index)", qos: .utility).async(group: queueDone) {
                var c = [Float](repeating: 0, count: rows * centroids)
                for _ in 0..<40 {
                    a.withUnsafeBufferPointer { aBuffer in
                        b.withUnsafeBufferPointer { bBuffer in
                            c.withUnsafeMutableBufferPointer { cBuffer in
                                BLAS.multiplyTransposed(aBuffer.baseAddress!, bBuffer.baseAddress!, into: cBuffer.baseAddress!, m: rows, n: centroids, k: dimensions)
                            }
                        }
                    }
                }
            }
        }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    var c = [Float](repeating: 0, count: rows * centroids)
                    for _ in 0..<40 {
                        a.withUnsafeBufferPointer { aBuffer in
                            b.withUnsafeBufferPointer { bBuffer in
                                c.withUnsafeMutableBufferPointer { cBuffer in
                                    BLAS.multiplyTransposed(aBuffer.baseAddress!, bBuffer.baseAddress!, into: cBuffer.baseAddress!, m: rows, n: centroids, k: dimensions)
                                }
                            }
                        }
                    }
                }
            }
        }
        await withCheckedContinuation { continuation in queueDone.notify(queue: .global()) { continuation.resume() } }
    }
}

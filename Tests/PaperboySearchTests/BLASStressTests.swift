import Foundation
@testable import PaperboySearch
import Synchronization
import Testing

@Suite struct BLASStressTests {
    /// Large sgemm calls (the shape of IVF list assignment) from several threads at once, with
    /// OpenBLAS at one thread per call: the situation of a server training its index while
    /// loading vectors. Guards against the crash seen once in a 1M benchmark (not reproduced), and
    /// checks every product: a call that raced another would leave wrong numbers behind.
    @Test func largeProducts_fromSeveralThreadsAtOnce_areAllExact() async {
        // As in a server: the embedder has set OpenBLAS to one thread per call.
        BLAS.setThreadCount(1)
        let rows = 1024, centroids = 2000, dimensions = 384
        let a = [Float](repeating: 0.01, count: rows * dimensions)
        let b = [Float](repeating: 0.02, count: centroids * dimensions)
        // Each entry is the sum of 384 products 0.01 × 0.02.
        let expected = Float(dimensions) * 0.01 * 0.02

        /// Runs the product 40 times; the number of entries that came out wrong.
        @Sendable func products() -> Int {
            var c = [Float](repeating: -1, count: rows * centroids)
            var wrong = 0
            for _ in 0..<40 {
                c.withUnsafeMutableBufferPointer { $0.update(repeating: -1) }
                a.withUnsafeBufferPointer { aBuffer in
                    b.withUnsafeBufferPointer { bBuffer in
                        c.withUnsafeMutableBufferPointer { cBuffer in
                            BLAS.multiplyTransposed(aBuffer.baseAddress!, bBuffer.baseAddress!, into: cBuffer.baseAddress!, m: rows, n: centroids, k: dimensions)
                        }
                    }
                }
                wrong += c.count { abs($0 - expected) > 1e-5 }
            }
            return wrong
        }

        // Half on Dispatch queue threads (where the index rebuild runs), half on the cooperative pool.
        let queueWrong = Atomic<Int>(0)
        let queueDone = DispatchGroup()
        for index in 0..<2 {
            DispatchQueue(label: "stress-\(index)", qos: .utility).async(group: queueDone) {
                queueWrong.add(products(), ordering: .relaxed)
            }
        }
        let poolWrong = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<2 { group.addTask { products() } }
            return await group.reduce(0, +)
        }
        await withCheckedContinuation { continuation in queueDone.notify(queue: .global()) { continuation.resume() } }
        #expect(poolWrong == 0 && queueWrong.load(ordering: .relaxed) == 0,
                "\(poolWrong + queueWrong.load(ordering: .relaxed)) entries of 4 × 40 products differ from \(expected)")
    }
}

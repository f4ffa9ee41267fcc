import Testing
@testable import PaperboySearch

@Suite struct BLASTests {
    @Test func multiplyTransposed_smallMatrices_matchesHandComputation() {
        // A = [[1,2],[3,4]], B = [[5,6],[7,8]] → A·Bᵀ = [[17,23],[39,53]]
        let a: [Float] = [1, 2, 3, 4]
        let b: [Float] = [5, 6, 7, 8]
        var c = [Float](repeating: 0, count: 4)
        c.withUnsafeMutableBufferPointer { output in
            BLAS.multiplyTransposed(a, b, into: output.baseAddress!, m: 2, n: 2, k: 2)
        }
        #expect(c == [17, 23, 39, 53])
    }
}

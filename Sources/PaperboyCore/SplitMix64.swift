import Foundation

/// SplitMix64 (Steele, Lea and Flood): a tiny, fast, deterministic generator for tests,
/// benchmarks and k-means seeding. Not for anything that needs unpredictability.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// Uniform in [0, 1), with the 24 bits a Float can hold.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1 / Float(1 << 24))
    }

    /// Two independent standard normals, by Marsaglia's polar method (no trigonometry).
    public mutating func nextGaussianPair() -> (Float, Float) {
        while true {
            let u = Double(next() >> 11) * 0x1p-52 - 1
            let v = Double(next() >> 11) * 0x1p-52 - 1
            let radiusSquared = u * u + v * v
            guard radiusSquared > 0, radiusSquared < 1 else { continue }
            let scale = (-2 * log(radiusSquared) / radiusSquared).squareRoot()
            return (Float(u * scale), Float(v * scale))
        }
    }

    /// Fills `buffer` with standard normals.
    public mutating func fillGaussian(_ buffer: UnsafeMutableBufferPointer<Float>) {
        var index = 0
        while index + 1 < buffer.count {
            let (first, second) = nextGaussianPair()
            buffer[index] = first
            buffer[index + 1] = second
            index += 2
        }
        if index < buffer.count { buffer[index] = nextGaussianPair().0 }
    }
}

/// The element-wise parts of the transformer (LayerNorm, GELU, softmax) over raw buffers.
///
/// Written as plain scalar `while` loops on purpose: the release build auto-vectorises them
/// (as fast as hand-written SIMD8 code, measured), and a debug build runs them about 20 times
/// faster than SIMD types, whose generic operations are not inlined without optimisation.
/// libm's expf and erff per element would cost as much as all the matrix products together.
enum VectorMath {
    /// e^x, Cephes' single-precision polynomial (relative error about 1.2e-7).
    /// Inputs are clamped to [-87, 88], so the result is never infinite nor subnormal.
    @inline(__always)
    static func exponential(_ input: Float) -> Float {
        let x = input < -87 ? -87 : (input > 88 ? 88 : input)
        // Adding 1.5·2^23 rounds x·log2(e) to an integer n held in the low mantissa bits.
        let magic: Float = 12_582_912
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        // r = x - n·ln 2, with ln 2 split in two so that n·ln 2 loses no bits.
        let r = x - n * 0.693_359_375 + n * 2.121_944_40e-4
        var polynomial: Float = 1.987_569_150_0e-4
        polynomial = polynomial * r + 1.398_199_950_7e-3
        polynomial = polynomial * r + 8.333_451_907_3e-3
        polynomial = polynomial * r + 4.166_579_589_4e-2
        polynomial = polynomial * r + 1.666_666_545_9e-1
        polynomial = polynomial * r + 5.000_000_120_1e-1
        let y = polynomial * (r * r) + r + 1
        let integer = Int32(bitPattern: shifted.bitPattern) &- Int32(bitPattern: magic.bitPattern)
        return y * Float(bitPattern: UInt32(bitPattern: (integer &+ 127) &<< 23))
    }

    /// GELU in its exact form, x · ½ · (1 + erf(x / √2)). erf uses Abramowitz & Stegun 7.1.26
    /// (absolute error below 1.5e-7), the approximation PyTorch's vectorised CPU erf uses.
    @inline(__always)
    static func gelu(_ x: Float) -> Float {
        let z = x * 0.707_106_781_186_547_5
        let magnitude = Float(bitPattern: z.bitPattern & 0x7FFF_FFFF)
        let t = 1 / (magnitude * 0.327_591_1 + 1)
        var polynomial: Float = 1.061_405_429
        polynomial = polynomial * t - 1.453_152_027
        polynomial = polynomial * t + 1.421_413_741
        polynomial = polynomial * t - 0.284_496_736
        polynomial = polynomial * t + 0.254_829_592
        polynomial = polynomial * t
        let erfMagnitude = 1 - polynomial * exponential(-(magnitude * magnitude))
        let erf = Float(bitPattern: erfMagnitude.bitPattern | (z.bitPattern & 0x8000_0000))
        return x * 0.5 * (erf + 1)
    }

    /// GELU in place over `count` values.
    static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        while index < count {
            values[index] = gelu(values[index])
            index += 1
        }
    }

    /// Sum with eight running totals, so that the optimiser may vectorise it (a single total
    /// is a dependency chain it must keep in order).
    @inline(__always)
    static func sum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var t0: Float = 0, t1: Float = 0, t2: Float = 0, t3: Float = 0
        var t4: Float = 0, t5: Float = 0, t6: Float = 0, t7: Float = 0
        var index = 0
        while index + 8 <= count {
            t0 += values[index]; t1 += values[index + 1]; t2 += values[index + 2]; t3 += values[index + 3]
            t4 += values[index + 4]; t5 += values[index + 5]; t6 += values[index + 6]; t7 += values[index + 7]
            index += 8
        }
        var total = ((t0 + t1) + (t2 + t3)) + ((t4 + t5) + (t6 + t7))
        while index < count {
            total += values[index]
            index += 1
        }
        return total
    }

    /// Softmax in place over each of `rows` rows of `width` values, `stride` apart.
    static func softmaxRows(_ values: UnsafeMutablePointer<Float>, rows: Int, width: Int, stride: Int) {
        var row = 0
        while row < rows {
            let start = values + row * stride
            // Eight running maxima written as comparisons: Swift's max() keeps NaN rules
            // that stop the optimiser from vectorising.
            var m0 = -Float.greatestFiniteMagnitude, m1 = m0, m2 = m0, m3 = m0, m4 = m0, m5 = m0, m6 = m0, m7 = m0
            var index = 0
            while index + 8 <= width {
                let v0 = start[index], v1 = start[index + 1], v2 = start[index + 2], v3 = start[index + 3]
                let v4 = start[index + 4], v5 = start[index + 5], v6 = start[index + 6], v7 = start[index + 7]
                m0 = v0 > m0 ? v0 : m0; m1 = v1 > m1 ? v1 : m1; m2 = v2 > m2 ? v2 : m2; m3 = v3 > m3 ? v3 : m3
                m4 = v4 > m4 ? v4 : m4; m5 = v5 > m5 ? v5 : m5; m6 = v6 > m6 ? v6 : m6; m7 = v7 > m7 ? v7 : m7
                index += 8
            }
            var maximum = max(max(max(m0, m1), max(m2, m3)), max(max(m4, m5), max(m6, m7)))
            while index < width {
                maximum = max(maximum, start[index])
                index += 1
            }
            index = 0
            while index < width {
                start[index] = exponential(start[index] - maximum)
                index += 1
            }
            let inverse = 1 / sum(start, count: width)
            index = 0
            while index < width {
                start[index] *= inverse
                index += 1
            }
            row += 1
        }
    }

    /// LayerNorm in place over each of `rows` rows of `width` values:
    /// (x − mean) / √(variance + ε) · weight + bias, with the biased variance.
    static func layerNormRows(
        _ values: UnsafeMutablePointer<Float>, rows: Int, width: Int,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float
    ) {
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: width)
        defer { scratch.deallocate() }
        var row = 0
        while row < rows {
            let start = values + row * width
            let mean = sum(start, count: width) / Float(width)
            // Two passes: the centred sum of squares keeps precision when the mean is large.
            var index = 0
            while index < width {
                let centred = start[index] - mean
                start[index] = centred
                scratch[index] = centred * centred
                index += 1
            }
            let inverseDeviation = 1 / (sum(scratch, count: width) / Float(width) + epsilon).squareRoot()
            index = 0
            while index < width {
                start[index] = start[index] * inverseDeviation * weight[index] + bias[index]
                index += 1
            }
            row += 1
        }
    }

    /// output[r] = input[r] + bias, for every row.
    static func addRows(_ input: UnsafePointer<Float>, rows: Int, width: Int, bias: UnsafePointer<Float>,
                        into output: UnsafeMutablePointer<Float>) {
        var row = 0
        while row < rows {
            let source = input + row * width, destination = output + row * width
            var index = 0
            while index < width {
                destination[index] = source[index] + bias[index]
                index += 1
            }
            row += 1
        }
    }
}

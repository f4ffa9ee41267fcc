import Foundation

/// Reads a safetensors file: an 8-byte little-endian header length, a JSON header mapping each
/// tensor name to its dtype, shape and byte range, then the raw tensor bytes.
/// The file is mapped once; tensors are converted to Float32 when copied out.
struct SafeTensorsFile {
    enum DataType: String {
        case float32 = "F32"
        case float16 = "F16"
        case bfloat16 = "BF16"

        var byteCount: Int { self == .float32 ? 4 : 2 }
    }

    struct TensorInfo {
        /// nil for dtypes this reader does not convert (I64 position ids, say); such tensors
        /// are listed but cannot be read as floats.
        let dataType: DataType?
        let dataTypeName: String
        let shape: [Int]
        /// Byte range inside the data section (after the header).
        let byteRange: Range<Int>
    }

    /// One header entry as written; `__metadata__` decodes with every field nil.
    private struct HeaderEntry: Decodable {
        let dtype: String?
        let shape: [Int]?
        let dataOffsets: [Int]?

        enum CodingKeys: String, CodingKey {
            case dtype, shape
            case dataOffsets = "data_offsets"
        }
    }

    /// Headers larger than this are not believable for a model file and are rejected early.
    private static let maximumHeaderLength = 100 * 1024 * 1024

    let path: String
    let tensors: [String: TensorInfo]
    private let contents: Data
    private let dataStart: Int

    init(path: String) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            throw EmbedderError(.missingFile, path: path, detail: "no such file")
        }
        let contents: Data
        do {
            // Mapped, so the 90 MB of weights are paged in only while they are copied out.
            contents = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw EmbedderError(.unreadableFile, path: path, detail: "\(error)")
        }
        guard contents.count >= 8 else {
            throw EmbedderError(.truncatedFile, path: path,
                                detail: "\(contents.count) bytes, shorter than the 8-byte header length")
        }
        let headerLength = contents.prefix(8).enumerated().reduce(UInt64(0)) { sum, pair in
            sum | (UInt64(pair.element) << (8 * UInt64(pair.offset)))
        }
        guard headerLength <= UInt64(Self.maximumHeaderLength) else {
            throw EmbedderError(.invalidHeader, path: path, detail: "header length \(headerLength) is not believable")
        }
        let dataStart = 8 + Int(headerLength)
        guard dataStart <= contents.count else {
            throw EmbedderError(.truncatedFile, path: path,
                                detail: "header says \(headerLength) bytes but the file has \(contents.count) bytes in all")
        }
        let entries: [String: HeaderEntry]
        do {
            let headerBytes = contents.subdata(in: contents.startIndex + 8 ..< contents.startIndex + dataStart)
            entries = try JSONDecoder().decode([String: HeaderEntry].self, from: headerBytes)
        } catch {
            throw EmbedderError(.invalidHeader, path: path, detail: "header is not a JSON object of tensors: \(error)")
        }
        let dataLength = contents.count - dataStart
        var tensors: [String: TensorInfo] = [:]
        for (name, entry) in entries where name != "__metadata__" {
            guard let dtype = entry.dtype, let shape = entry.shape, let offsets = entry.dataOffsets else {
                throw EmbedderError(.invalidHeader, path: path, tensor: name, detail: "entry lacks dtype, shape or data_offsets")
            }
            guard offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1], shape.allSatisfy({ $0 >= 0 }) else {
                throw EmbedderError(.invalidHeader, path: path, tensor: name,
                                    detail: "bad data_offsets \(offsets) or shape \(shape)")
            }
            let dataType = DataType(rawValue: dtype)
            if let dataType {
                let expected = shape.reduce(1, *) * dataType.byteCount
                guard offsets[1] - offsets[0] == expected else {
                    throw EmbedderError(.invalidHeader, path: path, tensor: name,
                                        detail: "\(dtype) \(shape) needs \(expected) bytes but data_offsets \(offsets) span \(offsets[1] - offsets[0])")
                }
            }
            guard offsets[1] <= dataLength else {
                throw EmbedderError(.truncatedFile, path: path, tensor: name,
                                    detail: "tensor data ends at byte \(offsets[1]) of the data section, which has only \(dataLength) bytes")
            }
            tensors[name] = TensorInfo(dataType: dataType, dataTypeName: dtype, shape: shape,
                                       byteRange: offsets[0] ..< offsets[1])
        }
        self.tensors = tensors
        self.contents = contents
        self.dataStart = dataStart
    }

    /// The name under which a tensor is stored: checkpoints exported from BertModel have bare
    /// names, those from task models carry a `bert.` prefix.
    func storedName(_ name: String) -> String? {
        for candidate in [name, "bert." + name, "model." + name] where tensors[candidate] != nil {
            return candidate
        }
        return nil
    }

    /// Copies the tensor, converted to Float32, into `destination`, after checking its shape.
    func copyTensor(_ name: String, shape expected: [Int], into destination: UnsafeMutablePointer<Float>) throws {
        guard let stored = storedName(name), let info = tensors[stored] else {
            throw EmbedderError(.missingTensor, path: path, tensor: name, detail: "not in the file (nor with a bert. prefix)")
        }
        guard info.shape == expected else {
            throw EmbedderError(.wrongShape, path: path, tensor: stored, detail: "shape \(info.shape), expected \(expected)")
        }
        guard let dataType = info.dataType else {
            throw EmbedderError(.unsupportedDataType, path: path, tensor: stored,
                                detail: "dtype \(info.dataTypeName); only F32, F16 and BF16 are read")
        }
        let count = expected.reduce(1, *)
        contents.withUnsafeBytes { (file: UnsafeRawBufferPointer) in
            guard let base = file.baseAddress else { return }
            let source = base + dataStart + info.byteRange.lowerBound
            switch dataType {
            case .float32:
                // The data section need not be 4-byte aligned, so copy bytes rather than bind.
                UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 4)
            case .float16:
                for index in 0 ..< count {
                    destination[index] = Self.floatFromHalf(source.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
                }
            case .bfloat16:
                for index in 0 ..< count {
                    let bits = UInt32(source.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)) << 16
                    destination[index] = Float(bitPattern: bits)
                }
            }
        }
    }

    /// IEEE 754 half → single, by hand because Float16 is unavailable on some platforms.
    static func floatFromHalf(_ half: UInt16) -> Float {
        let sign = UInt32(half & 0x8000) << 16
        let exponent = Int((half >> 10) & 0x1F)
        let mantissa = UInt32(half & 0x03FF)
        switch exponent {
        case 0:
            // Zero or subnormal: value = mantissa · 2^-24.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | (UInt32(exponent + 112) << 23) | (mantissa << 13))
        }
    }
}

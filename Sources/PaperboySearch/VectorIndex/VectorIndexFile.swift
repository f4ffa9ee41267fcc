import Foundation
import PaperboyStore
#if canImport(Glibc)
import Glibc
#endif

/// An approximate index saved to disk, with the position in the store's embeddings it reflects,
/// so a restart loads it instead of training k-means again (14 s at a million papers).
///
/// Layout: 8 bytes of magic, a little-endian UInt32 header length, the JSON header
/// (`VectorIndexFile.Header`), then the centroids, then each list's keys and vectors, all
/// little-endian, then a 64-bit checksum of everything after the header. Written to a temporary
/// file and renamed, so a crash mid-write leaves the previous file whole.
public enum VectorIndexFile {
    static let magic: [UInt8] = Array("PBIVF\u{0}\u{0}\u{1}".utf8)

    struct Header: Codable, Equatable {
        var model: String
        var dimensions: Int
        var count: Int
        var probeCount: Int
        var trainedCount: Int
        var listSizes: [Int]
        /// Every embedding saved at or before this position was in the index when it was saved.
        var cursorSavedAt: Double
        var cursorKey: UInt32
        /// The store's summary of those embeddings, taken when the file was written.
        var summary: EmbeddingSummary
    }

    public struct Contents: Sendable {
        public let index: InvertedFileIndex
        public let model: String
        public let cursor: EmbeddingCursor
        public let summary: EmbeddingSummary
    }

    public enum FileError: Error, CustomStringConvertible, Equatable {
        case unreadable(String)
        case corrupt(String)
        case mismatch(String)

        public var description: String {
            switch self {
            case .unreadable(let detail): "cannot read the saved vector index: \(detail)"
            case .corrupt(let detail): "the saved vector index is damaged: \(detail)"
            case .mismatch(let detail): "the saved vector index does not fit: \(detail)"
            }
        }
    }

    /// Writes `index` to `path` (through `path.tmp` and a rename).
    public static func write(_ index: InvertedFileIndex, model: String, cursor: EmbeddingCursor,
                             summary: EmbeddingSummary, to path: String) throws {
        let lists = index.storedBlocks
        let header = Header(
            model: model, dimensions: index.dimensions, count: index.count, probeCount: index.probeCount,
            trainedCount: index.trainedCount, listSizes: lists.map(\.count),
            cursorSavedAt: cursor.savedAt, cursorKey: cursor.key, summary: summary)
        let headerBytes = try JSONEncoder().encode(header)
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileError.unreadable("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var closed = false
        defer { if !closed { close(descriptor) } }
        var checksum = Checksum()
        func put(_ bytes: UnsafeRawBufferPointer, summing: Bool) throws {
            if summing { checksum.add(bytes) }
            var offset = 0
            while offset < bytes.count {
                guard let base = bytes.baseAddress else { return }
                let written = Glibc.write(descriptor, base + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw FileError.unreadable("cannot write \(temporary): \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
        try magic.withUnsafeBytes { try put($0, summing: false) }
        try withUnsafeBytes(of: UInt32(headerBytes.count).littleEndian) { try put($0, summing: false) }
        try headerBytes.withUnsafeBytes { try put($0, summing: false) }
        try index.centroidValues.withUnsafeBytes { try put($0, summing: true) }
        for list in lists {
            try list.keys.withUnsafeBytes { try put($0, summing: true) }
            try list.values.withUnsafeBytes { try put($0, summing: true) }
        }
        try withUnsafeBytes(of: checksum.value.littleEndian) { try put($0, summing: false) }
        guard fsync(descriptor) == 0 else { throw FileError.unreadable("cannot sync \(temporary): \(String(cString: strerror(errno)))") }
        closed = true
        guard close(descriptor) == 0 else { throw FileError.unreadable("cannot close \(temporary): \(String(cString: strerror(errno)))") }
        guard rename(temporary, path) == 0 else {
            throw FileError.unreadable("cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Reads the file at `path`, checking its layout, sizes and checksum; `model` and
    /// `dimensions` must be the running model's.
    public static func read(from path: String, model: String, dimensions: Int) throws -> Contents {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileError.unreadable("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw FileError.unreadable("cannot stat \(path)") }
        let fileSize = Int(status.st_size)
        var position = 0
        func take(_ buffer: UnsafeMutableRawBufferPointer) throws {
            var offset = 0
            while offset < buffer.count {
                guard let base = buffer.baseAddress else { return }
                let got = Glibc.read(descriptor, base + offset, buffer.count - offset)
                if got < 0 {
                    if errno == EINTR { continue }
                    throw FileError.unreadable("cannot read \(path): \(String(cString: strerror(errno)))")
                }
                if got == 0 { throw FileError.corrupt("\(path) ends early, at byte \(position + offset)") }
                offset += got
            }
            position += buffer.count
        }
        let header = try readHeader(take, path: path, fileSize: fileSize)
        guard header.model == model else { throw FileError.mismatch("saved for model \(header.model), running \(model)") }
        guard header.dimensions == dimensions else { throw FileError.mismatch("\(header.dimensions) dimensions, the model has \(dimensions)") }
        let listCount = header.listSizes.count
        guard listCount > 0, header.listSizes.allSatisfy({ $0 >= 0 }), header.listSizes.reduce(0, +) == header.count,
              header.probeCount >= 1, header.probeCount <= listCount else {
            throw FileError.corrupt("list sizes, count and probes disagree")
        }
        let bodyBytes = (listCount * dimensions + header.count * (dimensions + 1)) * 4
        guard position + bodyBytes + 8 == fileSize else {
            throw FileError.corrupt("\(fileSize) bytes, the header describes \(position + bodyBytes + 8)")
        }
        var checksum = Checksum()
        func readArray<Element: BitwiseCopyable>(_ count: Int, of _: Element.Type) throws -> [Element] {
            let array = try [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
                let raw = UnsafeMutableRawBufferPointer(buffer)
                try take(raw)
                checksum.add(UnsafeRawBufferPointer(raw))
                initialized = count
            }
            return array
        }
        let centroids = try readArray(listCount * dimensions, of: Float.self)
        var lists: [VectorBlock] = []
        lists.reserveCapacity(listCount)
        for size in header.listSizes {
            let keys = try readArray(size, of: UInt32.self)
            let values = try readArray(size * dimensions, of: Float.self)
            lists.append(VectorBlock(keys: keys, values: values))
        }
        var stored: UInt64 = 0
        try withUnsafeMutableBytes(of: &stored) { try take($0) }
        guard UInt64(littleEndian: stored) == checksum.value else { throw FileError.corrupt("checksum does not match the contents") }
        guard let index = InvertedFileIndex(restoring: dimensions, centroids: centroids, lists: lists,
                                            probeCount: header.probeCount, trainedCount: header.trainedCount) else {
            throw FileError.corrupt("a key appears in more than one list")
        }
        return Contents(index: index, model: header.model,
                        cursor: EmbeddingCursor(savedAt: header.cursorSavedAt, key: header.cursorKey), summary: header.summary)
    }

    /// The store position and summary a saved file records, from its header alone: a start can
    /// check them against the store while the body is still being read.
    public static func position(in path: String) throws -> (cursor: EmbeddingCursor, summary: EmbeddingSummary) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileError.unreadable("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw FileError.unreadable("cannot stat \(path)") }
        var position = 0
        let header = try readHeader({ buffer in
            guard let base = buffer.baseAddress, buffer.count > 0 else { return }
            let got = pread(descriptor, base, buffer.count, off_t(position))
            guard got == buffer.count else { throw FileError.corrupt("\(path) ends early, at byte \(position)") }
            position += got
        }, path: path, fileSize: Int(status.st_size))
        return (EmbeddingCursor(savedAt: header.cursorSavedAt, key: header.cursorKey), header.summary)
    }

    /// The magic, the header length and the JSON header, read with `take`.
    private static func readHeader(_ take: (UnsafeMutableRawBufferPointer) throws -> Void, path: String, fileSize: Int) throws -> Header {
        var prefix = [UInt8](repeating: 0, count: magic.count + 4)
        try prefix.withUnsafeMutableBytes { try take($0) }
        guard Array(prefix.prefix(magic.count)) == magic else { throw FileError.corrupt("\(path) is not a Paperboy vector index of this version") }
        let headerLength = Int(prefix[magic.count ..< magic.count + 4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        guard headerLength > 0, headerLength <= 64 << 20, magic.count + 4 + headerLength <= fileSize else {
            throw FileError.corrupt("header length \(headerLength) does not fit a file of \(fileSize) bytes")
        }
        var headerBytes = [UInt8](repeating: 0, count: headerLength)
        try headerBytes.withUnsafeMutableBytes { try take($0) }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(headerBytes)) } catch {
            throw FileError.corrupt("header is not readable: \(error)")
        }
        return header
    }

    /// A 64-bit checksum over 8-byte words in four independent lanes (fast enough for gigabytes
    /// at start-up). Buffers here are multiples of 4 bytes; a tail shorter than 8 is padded.
    struct Checksum {
        private var lanes: (UInt64, UInt64, UInt64, UInt64) = (0xCBF2_9CE4_8422_2325, 0x8422_2325_CBF2_9CE4, 0x9E37_79B9_7F4A_7C15, 0x7F4A_7C15_9E37_79B9)
        private static let prime: UInt64 = 0x0000_0100_0000_01B3
        private var length: UInt64 = 0

        mutating func add(_ bytes: UnsafeRawBufferPointer) {
            guard let base = bytes.baseAddress else { return }
            let words = bytes.count / 8
            var index = 0
            while index + 4 <= words {
                lanes.0 = (lanes.0 ^ base.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)) &* Self.prime
                lanes.1 = (lanes.1 ^ base.loadUnaligned(fromByteOffset: (index + 1) * 8, as: UInt64.self)) &* Self.prime
                lanes.2 = (lanes.2 ^ base.loadUnaligned(fromByteOffset: (index + 2) * 8, as: UInt64.self)) &* Self.prime
                lanes.3 = (lanes.3 ^ base.loadUnaligned(fromByteOffset: (index + 3) * 8, as: UInt64.self)) &* Self.prime
                index += 4
            }
            while index < words {
                lanes.0 = (lanes.0 ^ base.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)) &* Self.prime
                index += 1
            }
            var tail: UInt64 = 0
            for byte in (words * 8) ..< bytes.count {
                tail = tail << 8 | UInt64(base.load(fromByteOffset: byte, as: UInt8.self))
            }
            lanes.1 = (lanes.1 ^ tail ^ UInt64(bytes.count)) &* Self.prime
            length &+= UInt64(bytes.count)
        }

        var value: UInt64 {
            var combined = lanes.0
            combined = (combined ^ lanes.1) &* Self.prime
            combined = (combined ^ lanes.2) &* Self.prime
            combined = (combined ^ lanes.3) &* Self.prime
            return (combined ^ length) &* Self.prime
        }
    }
}

import PaperboyBench
import Foundation
import PaperboyCore
import Testing
@testable import PaperboySearch

/// The Swift tokenizer and encoder against sentence-transformers' output for the same model
/// (Fixtures/reference-embeddings.json, written by scripts/reference-embeddings.py).
@Suite struct EmbeddingTests {
    @Test func tokenizer_referenceTexts_matchPythonIdsExactly() throws {
        let embedder = try loadEmbedder()
        for reference in try ReferenceCase.all() {
            let ids = embedder.tokenIds(reference.text).map(Int.init)
            #expect(ids == reference.inputIds, "token ids differ for \(reference.text.debugDescription.prefix(80))")
        }
    }

    /// Cases the fixture lacks, ids from the Python tokenizer: HuggingFace classifies characters
    /// with Unicode 8.0 tables (later code points are unassigned there and become [UNK]; a few
    /// changed category since), and words over 100 characters become one [UNK].
    @Test func tokenizer_unicodeTableAndWordLengthQuirks_matchPythonIds() throws {
        let embedder = try loadEmbedder()
        let cases: [(String, [Int32])] = [
            ("a\u{07FD}b c", [101, 100, 1039, 102]), // Mn since Unicode 11: kept, not stripped
            ("a\u{0378}b c", [101, 100, 1039, 102]), // unassigned: kept
            ("a\u{166D}b c", [101, 1037, 100, 1038, 1039, 102]), // Po in Unicode 8.0, So now
            ("a\u{1734}b c", [101, 11113, 1039, 102]), // Mn in Unicode 8.0, Mc now
            ("a\u{000111C9}b c", [101, 1037, 100, 1038, 1039, 102]), // Po in Unicode 8.0, Mn now
            ("x\u{200B}y", [101, 1060, 2100, 102]), // zero-width space (Cf) dropped
            ("\u{1F970}", [101, 100, 102]),
            ("ΣΟΦΊΑ", [101, 1173, 29730, 29736, 27432, 102]),
            ("한국", [101, 1469, 30006, 30021, 29991, 30014, 30020, 102]),
            (String(repeating: "x", count: 101), [101, 100, 102]),
            (String(repeating: "x", count: 100), [101, 22038] + Array(repeating: 20348, count: 49) + [102]),
        ]
        for (text, expected) in cases {
            #expect(embedder.tokenIds(text) == expected, "token ids differ for \(text.debugDescription.prefix(40))")
        }
    }

    @Test func tokenizer_longText_isTruncatedTo256WithSeparator() throws {
        let embedder = try loadEmbedder()
        let ids = embedder.tokenIds(String(repeating: "transformers attend to tokens. ", count: 200))
        #expect(ids.count == 256)
        #expect(ids.first == embedder.tokenizer.classifierId)
        #expect(ids.last == embedder.tokenizer.separatorId)
    }

    @Test func embed_referenceTexts_matchPythonEmbeddings() throws {
        let embedder = try loadEmbedder()
        let references = try ReferenceCase.all()
        let vectors = embedder.embed(references.map(\.text))
        #expect(vectors.count == references.count)
        for (reference, vector) in zip(references, vectors) {
            #expect(vector.count == SentenceEmbedder.dimensions)
            #expect(abs(norm(vector) - 1) < 1e-4, "norm \(norm(vector)) for \(reference.text.debugDescription.prefix(60))")
            let similarity = cosine(vector, reference.embedding)
            #expect(similarity >= 0.9999, "cosine \(similarity) for \(reference.text.debugDescription.prefix(60))")
        }
    }

    @Test func embed_emptyString_isClassifierAndSeparatorWithUnitLength() throws {
        let embedder = try loadEmbedder()
        #expect(embedder.tokenIds("") == [embedder.tokenizer.classifierId, embedder.tokenizer.separatorId])
        let vector = embedder.embed("")
        #expect(vector.count == SentenceEmbedder.dimensions)
        #expect(abs(norm(vector) - 1) < 1e-4)
        #expect(embedder.embed([]).isEmpty)
    }

    @Test func embed_batchVersusOneByOne_agree() throws {
        let embedder = try loadEmbedder()
        let texts = try ReferenceCase.all().map(\.text)
        let batch = embedder.embed(texts)
        for (text, batched) in zip(texts, batch) {
            let single = embedder.embed(text)
            #expect(cosine(single, batched) >= 0.99999, "batch and single differ for \(text.debugDescription.prefix(60))")
        }
    }

    @Test func embedQuery_referenceTexts_matchPythonEmbeddingsAndTheBatchPath() throws {
        let embedder = try loadEmbedder()
        for reference in try ReferenceCase.all() {
            let split = embedder.embedAlone(reference.text)
            #expect(cosine(split, reference.embedding) >= 0.9999, "cosine to Python for \(reference.text.debugDescription.prefix(60))")
            #expect(cosine(split, embedder.embed(reference.text)) >= 0.99999, "query path and embed differ for \(reference.text.debugDescription.prefix(60))")
        }
    }

    /// A pass that finds the team busy runs alone; both give the same vectors as `embed`.
    @Test func embedAlone_concurrentQueries_giveTheSameVectorsAsOneByOne() async throws {
        let embedder = try loadEmbedder()
        let texts = (0 ..< 24).map { "sparse attention for long documents, variant \($0)" }
        let expected = texts.map { embedder.embed($0) }
        let vectors = await withTaskGroup(of: (Int, [Float]).self) { group in
            for (index, text) in texts.enumerated() {
                group.addTask { (index, embedder.embedAlone(text)) }
            }
            var collected = [[Float]](repeating: [], count: texts.count)
            for await (index, vector) in group { collected[index] = vector }
            return collected
        }
        for (vector, reference) in zip(vectors, expected) {
            #expect(cosine(vector, reference) >= 0.99999)
        }
    }

    @Test func embedQuery_repeatedText_comesFromTheCacheUnchanged() throws {
        let embedder = try loadEmbedder()
        let text = "cache check \(UUID().uuidString)"
        let before = embedder.queryCache.count
        let first = embedder.embedQuery(text)
        #expect(embedder.queryCache.vector(for: text) == first)
        #expect(embedder.embedQuery(text) == first)
        #expect(embedder.queryCache.count <= max(before + 1, embedder.queryCache.capacity))
    }

    @Test func queryVectorCache_overCapacity_dropsTheLeastRecentlyUsed() {
        let cache = QueryVectorCache(capacity: 8)
        for index in 0 ..< 8 { cache.insert([Float(index)], for: "q\(index)") }
        _ = cache.vector(for: "q0") // q0 is now the most recent; q1 and q2 the oldest
        cache.insert([8], for: "q8")
        #expect(cache.count <= 8)
        #expect(cache.vector(for: "q0") == [0])
        #expect(cache.vector(for: "q8") == [8])
        #expect(cache.vector(for: "q1") == nil)
        #expect(cache.vector(for: "q2") == nil)
        cache.insert([9], for: String(repeating: "x", count: QueryVectorCache.longestText + 1))
        #expect(cache.vector(for: String(repeating: "x", count: QueryVectorCache.longestText + 1)) == nil)
    }

    @Test func embed_concurrentTasks_giveSameResults() async throws {
        let embedder = try loadEmbedder()
        let texts = try ReferenceCase.all().map(\.text)
        let expected = embedder.embed(texts)
        let results = await withTaskGroup(of: ([Int], [[Float]]).self) { group in
            for task in 0 ..< 6 {
                // Whole-list calls and slices of different shapes, all overlapping in time.
                let slice = task < 2 ? Array(texts.indices) : Array(stride(from: task % 3, to: texts.count, by: 3))
                group.addTask { (slice, embedder.embed(slice.map { texts[$0] })) }
            }
            var collected: [([Int], [[Float]])] = []
            for await result in group { collected.append(result) }
            return collected
        }
        #expect(results.count == 6)
        for (slice, vectors) in results {
            #expect(vectors.count == slice.count)
            for (index, vector) in zip(slice, vectors) {
                if slice.count == texts.count {
                    // The same call plans the same batches, so the arithmetic is identical.
                    #expect(vector == expected[index], "whole-list call differs on text \(index)")
                } else {
                    #expect(cosine(vector, expected[index]) >= 0.99999, "slice call differs on text \(index)")
                }
            }
        }
    }

    @Test func init_missingDirectory_throwsNamingTheFolder() {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-no-model-\(UUID().uuidString)").path
        let error = #expect(throws: EmbedderError.self) { try SentenceEmbedder(modelDirectory: folder) }
        #expect(error?.reason == .missingFile)
        #expect(error?.description.contains(folder) == true)
    }

    @Test func init_truncatedSafetensors_throwsNamingTheFile() throws {
        let source = try modelDirectory()
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["config.json", "vocab.txt", "sentence_bert_config.json"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        let weights = try Data(contentsOf: source.appendingPathComponent("model.safetensors"))
        let truncated = folder.appendingPathComponent("model.safetensors")
        try weights.prefix(weights.count / 2).write(to: truncated)

        let error = #expect(throws: EmbedderError.self) { try SentenceEmbedder(modelDirectory: folder.path) }
        #expect(error?.reason == .truncatedFile)
        #expect(error?.description.contains(truncated.path) == true)
    }

    @Test func init_missingSafetensors_throwsNamingTheFile() throws {
        let source = try modelDirectory()
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["config.json", "vocab.txt"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        let error = #expect(throws: EmbedderError.self) { try SentenceEmbedder(modelDirectory: folder.path) }
        #expect(error?.reason == .missingFile)
        #expect(error?.description.contains("model.safetensors") == true)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["PAPERBOY_BENCH"] != nil))
    func benchmark_seedAbstracts_reportsThroughput() throws {
        let embedder = try loadEmbedder()
        let lines = try String(contentsOf: repositoryRoot.appendingPathComponent("Data/seed-papers.jsonl"), encoding: .utf8)
            .split(separator: "\n")
        let texts: [String] = try lines.prefix(200).map { line in
            let paper = try JSONDecoder().decode(SeedPaper.self, from: Data(line.utf8))
            return paper.title + ". " + paper.abstract
        }
        let tokens = texts.reduce(0) { $0 + embedder.tokenIds($1).count }
        var rates: [Double] = []
        for _ in 0 ..< 3 {
            rates.append(EmbeddingBenchmark.benchmarkThroughput(embedder: embedder, texts: texts))
        }
        let best = rates.max() ?? 0
        print("embedding throughput: \(texts.count) abstracts (\(tokens) tokens), runs \(rates.map { String(format: "%.1f", $0) }) texts/s, best \(String(format: "%.1f", best)) texts/s on \(ProcessInfo.processInfo.activeProcessorCount) cores")
        #expect(best > 0)
    }
}

/// Tensors read from small hand-made safetensors files, no model needed.
@Suite struct SafeTensorsTests {
    @Test func copyTensor_float16AndBFloat16_convertToFloat32() throws {
        // F16: 1, -2, 0.5, smallest subnormal; BF16: 1, -3.
        let half: [UInt16] = [0x3C00, 0xC000, 0x3800, 0x0001]
        let brain: [UInt16] = [0x3F80, 0xC040]
        let file = try writeSafeTensors(
            header: #"{"__metadata__":{"format":"pt"},"h":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]}}"#,
            data: bytes(half) + bytes(brain))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let tensors = try SafeTensorsFile(path: file)
        var values = [Float](repeating: 0, count: 4)
        try values.withUnsafeMutableBufferPointer { try tensors.copyTensor("h", shape: [2, 2], into: $0.baseAddress!) }
        #expect(values == [1, -2, 0.5, 0x1p-24])
        var pair = [Float](repeating: 0, count: 2)
        try pair.withUnsafeMutableBufferPointer { try tensors.copyTensor("b", shape: [2], into: $0.baseAddress!) }
        #expect(pair == [1, -3])
    }

    @Test func copyTensor_bertPrefixedName_isFoundUnderTheBareName() throws {
        let file = try writeSafeTensors(header: #"{"bert.x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
                                        data: bytes([Float(2.5).bitPattern]))
        defer { try? FileManager.default.removeItem(atPath: file) }
        var value: [Float] = [0]
        try value.withUnsafeMutableBufferPointer { try SafeTensorsFile(path: file).copyTensor("x", shape: [1], into: $0.baseAddress!) }
        #expect(value == [2.5])
    }

    @Test func copyTensor_wrongShapeOrMissingTensor_throwsNamingTheTensor() throws {
        let file = try writeSafeTensors(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
                                        data: bytes([Float(1).bitPattern, Float(2).bitPattern]))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let tensors = try SafeTensorsFile(path: file)
        var values = [Float](repeating: 0, count: 4)
        let shapeError = #expect(throws: EmbedderError.self) {
            try values.withUnsafeMutableBufferPointer { try tensors.copyTensor("x", shape: [4], into: $0.baseAddress!) }
        }
        #expect(shapeError?.reason == .wrongShape)
        #expect(shapeError?.description.contains("x") == true)
        let missingError = #expect(throws: EmbedderError.self) {
            try values.withUnsafeMutableBufferPointer { try tensors.copyTensor("y", shape: [2], into: $0.baseAddress!) }
        }
        #expect(missingError?.reason == .missingTensor)
        #expect(missingError?.description.contains(file) == true)
    }

    @Test func init_badHeader_throwsInvalidHeader() throws {
        let file = try writeSafeTensors(header: "{not json", data: [])
        defer { try? FileManager.default.removeItem(atPath: file) }
        let error = #expect(throws: EmbedderError.self) { try SafeTensorsFile(path: file) }
        #expect(error?.reason == .invalidHeader)
        #expect(error?.description.contains(file) == true)
    }

    @Test func init_shortFileOrHugeHeaderLength_throwsTruncatedOrInvalid() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let short = folder.appendingPathComponent("short.safetensors")
        try Data([1, 2, 3]).write(to: short)
        #expect(throws: EmbedderError(.truncatedFile, path: short.path, detail: "3 bytes, shorter than the 8-byte header length")) {
            try SafeTensorsFile(path: short.path)
        }
        let overlong = folder.appendingPathComponent("overlong.safetensors")
        try Data([64, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8)).write(to: overlong)
        let error = #expect(throws: EmbedderError.self) { try SafeTensorsFile(path: overlong.path) }
        #expect(error?.reason == .truncatedFile)
    }
}

// MARK: - Helpers

private struct ReferenceCase: Decodable {
    let text: String
    let inputIds: [Int]
    let embedding: [Float]

    enum CodingKeys: String, CodingKey {
        case text, embedding
        case inputIds = "input_ids"
    }

    private struct Document: Decodable {
        let cases: [ReferenceCase]
    }

    static func all() throws -> [ReferenceCase] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/reference-embeddings.json", withExtension: nil),
                               "Fixtures/reference-embeddings.json missing: run scripts/reference-embeddings.py")
        return try JSONDecoder().decode(Document.self, from: Data(contentsOf: url)).cases
    }
}

private struct SeedPaper: Decodable {
    let title: String
    let abstract: String
}

private struct ModelMissing: Error, CustomStringConvertible {
    let path: String
    var description: String { "model missing: run scripts/install-model (looked in \(path))" }
}

private let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// PAPERBOY_MODEL_DIR, else the folder scripts/install-model fills. A missing model fails
/// the test: silently skipping would hide that nothing was checked.
private func modelDirectory() throws -> URL {
    let environment = ProcessInfo.processInfo.environment["PAPERBOY_MODEL_DIR"] ?? ""
    let folder = environment.isEmpty
        ? repositoryRoot.appendingPathComponent(".build-tools/model/all-MiniLM-L6-v2")
        : URL(fileURLWithPath: environment)
    guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path) else {
        throw ModelMissing(path: folder.path)
    }
    return folder
}

/// Loaded once for the whole test run: every test shares one embedder, as the server would.
private let sharedEmbedder = Result { try SentenceEmbedder(modelDirectory: modelDirectory().path) }

private func loadEmbedder() throws -> SentenceEmbedder {
    try sharedEmbedder.get()
}

private func cpuSeconds(_ clock: clockid_t) -> Double {
    var time = timespec()
    clock_gettime(clock, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

private func norm(_ vector: [Float]) -> Float {
    vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
}

private func cosine(_ left: [Float], _ right: [Float]) -> Float {
    guard left.count == right.count, !left.isEmpty else { return -2 }
    var dot: Double = 0, leftSquares: Double = 0, rightSquares: Double = 0
    for (a, b) in zip(left, right) {
        dot += Double(a) * Double(b)
        leftSquares += Double(a) * Double(a)
        rightSquares += Double(b) * Double(b)
    }
    return Float(dot / (leftSquares.squareRoot() * rightSquares.squareRoot()))
}

private func temporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-embedding-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

private func bytes<Value: FixedWidthInteger>(_ values: [Value]) -> [UInt8] {
    values.flatMap { value in (0 ..< MemoryLayout<Value>.size).map { UInt8(truncatingIfNeeded: value.littleEndian >> (8 * $0)) } }
}

/// A safetensors file in the temporary folder with `header` and `data`; returns its path.
private func writeSafeTensors(header: String, data: [UInt8]) throws -> String {
    let headerBytes = Array(header.utf8)
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-\(UUID().uuidString).safetensors").path
    try Data(bytes([UInt64(headerBytes.count)]) + headerBytes + data).write(to: URL(fileURLWithPath: path))
    return path
}

/// Choosing OpenBLAS's kernel from the CPU's flags (issue 20).
@Suite struct OpenBLASKernelChoiceTests {
    static let sapphireRapids: Set<String> = [
        "pni", "ssse3", "sse4_2", "avx", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl",
        "avx512_bf16", "amx_tile",
    ]

    @Test func preferred_isTheNewestKernelWithItsOwnMatrixProduct() {
        #expect(OpenBLASKernel.preferred(flags: Self.sapphireRapids) == "SkylakeX")
        #expect(OpenBLASKernel.preferred(flags: ["pni", "ssse3", "sse4_2", "avx", "avx2", "fma"]) == "Haswell")
        #expect(OpenBLASKernel.preferred(flags: ["pni", "ssse3", "sse4_2", "avx"]) == "Sandybridge")
        // AVX2 without FMA is not enough for Haswell's kernel.
        #expect(OpenBLASKernel.preferred(flags: ["pni", "ssse3", "sse4_2", "avx", "avx2"]) == "Sandybridge")
        #expect(OpenBLASKernel.preferred(flags: []) == nil)
    }

    @Test func shouldSwitch_onlyUpTheLine_andNeverAwayFromAnotherVendorsKernel() {
        #expect(OpenBLASKernel.shouldSwitch(from: "Prescott", to: "SkylakeX"))
        #expect(OpenBLASKernel.shouldSwitch(from: "Unknown", to: "Haswell"))
        #expect(!OpenBLASKernel.shouldSwitch(from: "SkylakeX", to: "SkylakeX"))
        #expect(!OpenBLASKernel.shouldSwitch(from: "Cooperlake", to: "SkylakeX"))
        #expect(!OpenBLASKernel.shouldSwitch(from: "Zen", to: "Haswell"))
        #expect(!OpenBLASKernel.shouldSwitch(from: "Prescott", to: nil))
    }

    @Test func cpuFlags_areReadFromTheFlagsLine() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu pni avx2 fma avx512f\nbugs\t\t: spectre_v1\n"
        #expect(OpenBLASKernel.cpuFlags(cpuinfo: cpuinfo) == ["fpu", "pni", "avx2", "fma", "avx512f"])
        #expect(OpenBLASKernel.cpuFlags(cpuinfo: "") == [])
    }
}

/// Background work runs on a thread the kernel schedules only when nothing else wants the core,
/// and waits while requests are being answered (issue 20, part 2).
@Suite struct BackgroundWorkTests {
    @Test func idleThread_runsAtTheLowestPriority_andReturnsResults() async throws {
        let (policy, nice) = try await IdleThread.shared.run { IdleThread.currentScheduling() }
        // SCHED_IDLE is 5; where it is refused the thread is at nice 19 instead.
        #expect(policy == 5 || nice == 19, "policy \(policy), nice \(nice)")
        #expect(IdleThread.shared.priority == "SCHED_IDLE" || IdleThread.shared.priority == "nice 19")
        let sum = try await IdleThread.shared.run { (1...1_000).reduce(0, +) }
        #expect(sum == 500_500)
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await IdleThread.shared.run { () throws -> Int in throw Refused() } }
        // The caller's own thread is untouched.
        #expect(IdleThread.currentScheduling().policy == 0)
    }

    /// The embedding refresh and key phrases call `embed` on the idle thread. Spread over the
    /// dispatch pool, half of a batch's forward passes would run at normal priority beside the
    /// requests (what the first 100k-backlog run showed). Measured by CPU time: the idle thread's
    /// own must be nearly all the process used meanwhile.
    @Test func embedOnTheIdleThread_doesAllItsWorkOnThatThread() async throws {
        let embedder = try loadEmbedder()
        let texts = (0 ..< 24).map { "Paper \($0): sparse attention for long documents, with a mixture of experts and low-rank adapters, evaluated on retrieval benchmarks." }
        let (threadCPU, processCPU) = try await IdleThread.shared.run { () -> (Double, Double) in
            let thread = cpuSeconds(CLOCK_THREAD_CPUTIME_ID), process = cpuSeconds(CLOCK_PROCESS_CPUTIME_ID)
            let vectors = embedder.embed(texts, onCallingThreadOnly: true)
            precondition(vectors.count == texts.count)
            return (cpuSeconds(CLOCK_THREAD_CPUTIME_ID) - thread, cpuSeconds(CLOCK_PROCESS_CPUTIME_ID) - process)
        }
        #expect(threadCPU > 0.01)
        #expect(threadCPU >= 0.9 * processCPU, "the idle thread used \(threadCPU) s of the process's \(processCPU) s")
        // The same vectors as the default, spread-out call.
        let spread = embedder.embed(texts)
        let alone = embedder.embed(texts, onCallingThreadOnly: true)
        #expect(zip(spread, alone).allSatisfy { zip($0, $1).allSatisfy { abs($0 - $1) < 1e-5 } })
    }

    @Test func waitForQuiet_waitsWhileRequestsAreAnswered_andNoLongerThanItsLimit() async throws {
        #expect(try await RequestActivity.waitForQuiet() < .milliseconds(50), "no request: no wait")
        RequestActivity.begin()
        let waited = try await RequestActivity.waitForQuiet(limit: .milliseconds(200))
        #expect(waited >= .milliseconds(200) && waited < .seconds(2))
        let ending = Task {
            try await Task.sleep(for: .milliseconds(100))
            RequestActivity.end()
        }
        let untilQuiet = try await RequestActivity.waitForQuiet(limit: .seconds(5))
        #expect(untilQuiet >= .milliseconds(90) && untilQuiet < .seconds(2), "\(untilQuiet)")
        try await ending.value
    }
}

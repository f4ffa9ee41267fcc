import CMatrixKernels
import Dispatch
import Foundation

/// BERT sizes; the defaults are all-MiniLM-L6-v2's, and config.json may confirm them.
struct MiniLMConfiguration: Sendable, Equatable {
    var hiddenSize = 384
    var layerCount = 6
    var headCount = 12
    var intermediateSize = 1536
    var maximumPositions = 512
    var vocabularySize = 30522
    var typeVocabularySize = 2
    var layerNormEpsilon: Float = 1e-12

    var headSize: Int { hiddenSize / headCount }

    /// Reads config.json, rejecting anything that is not a GELU BERT of these proportions.
    init(configFile path: String) throws {
        let object: [String: Any]
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let parsed = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw EmbedderError(.invalidConfiguration, path: path, detail: "not a JSON object")
            }
            object = parsed
        } catch let error as EmbedderError {
            throw error
        } catch {
            if !FileManager.default.fileExists(atPath: path) {
                throw EmbedderError(.missingFile, path: path, detail: "no such file")
            }
            throw EmbedderError(.invalidConfiguration, path: path, detail: "not readable JSON: \(error)")
        }
        func integer(_ key: String) throws -> Int {
            guard let value = object[key] as? Int else {
                throw EmbedderError(.invalidConfiguration, path: path, detail: "\(key) is missing or not an integer")
            }
            return value
        }
        if let type = object["model_type"] as? String, type != "bert" {
            throw EmbedderError(.invalidConfiguration, path: path, detail: "model_type \(type), expected bert")
        }
        if let activation = object["hidden_act"] as? String, activation != "gelu" {
            throw EmbedderError(.invalidConfiguration, path: path, detail: "hidden_act \(activation); only the erf GELU is implemented")
        }
        if let embedding = object["position_embedding_type"] as? String, embedding != "absolute" {
            throw EmbedderError(.invalidConfiguration, path: path, detail: "position_embedding_type \(embedding); only absolute is implemented")
        }
        hiddenSize = try integer("hidden_size")
        layerCount = try integer("num_hidden_layers")
        headCount = try integer("num_attention_heads")
        intermediateSize = try integer("intermediate_size")
        maximumPositions = try integer("max_position_embeddings")
        vocabularySize = try integer("vocab_size")
        typeVocabularySize = (object["type_vocab_size"] as? Int) ?? 2
        if let epsilon = object["layer_norm_eps"] as? Double { layerNormEpsilon = Float(epsilon) }
        guard hiddenSize > 0, headCount > 0, hiddenSize % headCount == 0, layerCount > 0,
              intermediateSize > 0, maximumPositions > 0, vocabularySize > 0, typeVocabularySize > 0 else {
            throw EmbedderError(.invalidConfiguration, path: path,
                                detail: "inconsistent sizes: hidden \(hiddenSize), heads \(headCount), layers \(layerCount)")
        }
    }

    init() {}
}

/// The BERT encoder of all-MiniLM-L6-v2 with mean pooling and L2 normalisation.
/// Every matrix product goes through OpenBLAS sgemm. Texts in one batch are packed one after
/// another without padding: rows never mix outside attention, and attention runs per text,
/// which gives what the reference computes with padding and an attention mask, minus the
/// wasted work.
final class MiniLMEncoder: @unchecked Sendable {
    // @unchecked: every weight lives in `storage`, written once in init and only read after,
    // so any number of threads may run the forward pass at once. Scratch memory is per call.

    let configuration: MiniLMConfiguration
    private let storage: UnsafeMutablePointer<Float>
    private let wordEmbeddings: UnsafePointer<Float>
    private let positionEmbeddings: UnsafePointer<Float>
    private let tokenTypeEmbedding: UnsafePointer<Float>
    private let embeddingNormWeight: UnsafePointer<Float>
    private let embeddingNormBias: UnsafePointer<Float>
    private let layers: [Layer]
    /// Each layer's four weight matrices again in half precision (21 MB for all six), for the
    /// direct kernel: a short query's products are bound by streaming the weights from memory,
    /// and half the bytes take about half the time. Nil without F16C.
    private let halfLayers: [HalfWeights]?
    private let halfStorage: UnsafeMutablePointer<UInt16>?

    private struct HalfWeights {
        let queryKeyValue: UnsafePointer<UInt16>
        let attentionOutput: UnsafePointer<UInt16>
        let intermediate: UnsafePointer<UInt16>
        let output: UnsafePointer<UInt16>
    }

    private struct Layer {
        /// Query, key and value stacked into one (3·hidden)×hidden matrix: one product per layer.
        let queryKeyValueWeight: UnsafePointer<Float>
        let queryKeyValueBias: UnsafePointer<Float>
        let attentionOutputWeight: UnsafePointer<Float>
        let attentionOutputBias: UnsafePointer<Float>
        let attentionNormWeight: UnsafePointer<Float>
        let attentionNormBias: UnsafePointer<Float>
        let intermediateWeight: UnsafePointer<Float>
        let intermediateBias: UnsafePointer<Float>
        let outputWeight: UnsafePointer<Float>
        let outputBias: UnsafePointer<Float>
        let outputNormWeight: UnsafePointer<Float>
        let outputNormBias: UnsafePointer<Float>
    }

    init(weights file: SafeTensorsFile, configuration: MiniLMConfiguration) throws {
        self.configuration = configuration
        let hidden = configuration.hiddenSize
        let intermediate = configuration.intermediateSize

        // Lay every tensor out in one allocation; `plan` lists (name, shape, offset).
        var plan: [(name: String, shape: [Int], offset: Int)] = []
        var total = 0
        func reserve(_ name: String, _ shape: [Int]) -> Int {
            let offset = total
            plan.append((name, shape, offset))
            // Keep every tensor 64-byte aligned for the BLAS kernels.
            total += (shape.reduce(1, *) + 15) / 16 * 16
            return offset
        }
        func reserveStacked(_ names: [String], rows: Int, columns: Int) -> Int {
            let offset = total
            for (index, name) in names.enumerated() {
                plan.append((name, columns == 1 ? [rows] : [rows, columns], offset + index * rows * columns))
            }
            total += (names.count * rows * columns + 15) / 16 * 16
            return offset
        }
        let wordOffset = reserve("embeddings.word_embeddings.weight", [configuration.vocabularySize, hidden])
        let positionOffset = reserve("embeddings.position_embeddings.weight", [configuration.maximumPositions, hidden])
        let typeOffset = reserve("embeddings.token_type_embeddings.weight", [configuration.typeVocabularySize, hidden])
        let embeddingNormWeightOffset = reserve("embeddings.LayerNorm.weight", [hidden])
        let embeddingNormBiasOffset = reserve("embeddings.LayerNorm.bias", [hidden])
        var layerOffsets: [[Int]] = []
        for layer in 0 ..< configuration.layerCount {
            let prefix = "encoder.layer.\(layer)."
            let attention = prefix + "attention.self."
            layerOffsets.append([
                reserveStacked(["query", "key", "value"].map { attention + $0 + ".weight" }, rows: hidden, columns: hidden),
                reserveStacked(["query", "key", "value"].map { attention + $0 + ".bias" }, rows: hidden, columns: 1),
                reserve(prefix + "attention.output.dense.weight", [hidden, hidden]),
                reserve(prefix + "attention.output.dense.bias", [hidden]),
                reserve(prefix + "attention.output.LayerNorm.weight", [hidden]),
                reserve(prefix + "attention.output.LayerNorm.bias", [hidden]),
                reserve(prefix + "intermediate.dense.weight", [intermediate, hidden]),
                reserve(prefix + "intermediate.dense.bias", [intermediate]),
                reserve(prefix + "output.dense.weight", [hidden, intermediate]),
                reserve(prefix + "output.dense.bias", [hidden]),
                reserve(prefix + "output.LayerNorm.weight", [hidden]),
                reserve(prefix + "output.LayerNorm.bias", [hidden]),
            ])
        }

        let rawStorage = UnsafeMutableRawPointer.allocate(byteCount: total * MemoryLayout<Float>.stride, alignment: 64)
        let storage = rawStorage.bindMemory(to: Float.self, capacity: total)
        do {
            for entry in plan {
                try file.copyTensor(entry.name, shape: entry.shape, into: storage + entry.offset)
            }
        } catch {
            storage.deallocate()
            throw error
        }
        self.storage = storage
        let base = UnsafePointer(storage)
        wordEmbeddings = base + wordOffset
        positionEmbeddings = base + positionOffset
        tokenTypeEmbedding = base + typeOffset // token type 0: sentence-transformers never sets another
        embeddingNormWeight = base + embeddingNormWeightOffset
        embeddingNormBias = base + embeddingNormBiasOffset
        let built = layerOffsets.map { offsets in
            Layer(queryKeyValueWeight: base + offsets[0], queryKeyValueBias: base + offsets[1],
                  attentionOutputWeight: base + offsets[2], attentionOutputBias: base + offsets[3],
                  attentionNormWeight: base + offsets[4], attentionNormBias: base + offsets[5],
                  intermediateWeight: base + offsets[6], intermediateBias: base + offsets[7],
                  outputWeight: base + offsets[8], outputBias: base + offsets[9],
                  outputNormWeight: base + offsets[10], outputNormBias: base + offsets[11])
        }
        layers = built
        if paperboy_half_kernels_available() != 0 {
            let sizes = [3 * hidden * hidden, hidden * hidden, intermediate * hidden, hidden * intermediate]
            let perLayer = sizes.reduce(0, +)
            let halves = UnsafeMutablePointer<UInt16>.allocate(capacity: perLayer * built.count)
            var made: [HalfWeights] = []
            for (number, layer) in built.enumerated() {
                var next = halves + number * perLayer
                var pointers: [UnsafePointer<UInt16>] = []
                for (source, count) in zip([layer.queryKeyValueWeight, layer.attentionOutputWeight, layer.intermediateWeight, layer.outputWeight], sizes) {
                    paperboy_floats_to_halves(source, next, count)
                    pointers.append(UnsafePointer(next))
                    next += count
                }
                made.append(HalfWeights(queryKeyValue: pointers[0], attentionOutput: pointers[1], intermediate: pointers[2], output: pointers[3]))
            }
            halfStorage = halves
            halfLayers = made
        } else {
            halfStorage = nil
            halfLayers = nil
        }
    }

    deinit {
        halfStorage?.deallocate()
        storage.deallocate()
    }

    /// Embeds a packed batch, writing one unit-length vector per sequence into `output`
    /// (sequences.count × hiddenSize). Every id must be below vocabularySize and every sequence
    /// no longer than maximumPositions.
    ///
    /// With a `team` (already begun by the caller) each weight product's output columns are split
    /// between the calling thread and the team's (one short query on all cores); without one
    /// everything runs in the calling thread. `directKernel` false keeps every product in sgemm
    /// (for comparing the two in benchmarks).
    func embed(_ sequences: [[Int32]], into output: UnsafeMutablePointer<Float>, team: ProductTeam? = nil, directKernel: Bool = true) {
        let hidden = configuration.hiddenSize
        let intermediate = configuration.intermediateSize
        let heads = configuration.headCount
        let headSize = configuration.headSize
        let epsilon = configuration.layerNormEpsilon
        let lengths = sequences.map(\.count)
        let tokenCount = lengths.reduce(0, +)
        guard tokenCount > 0 else { return }
        var starts: [Int] = []
        var running = 0
        for length in lengths {
            starts.append(running)
            running += length
        }
        let longest = lengths.max() ?? 0

        let workspace = Workspace(tokens: tokenCount, hidden: hidden, intermediate: intermediate, longest: longest)
        defer { workspace.deallocate() }
        let states = workspace.states, queryKeyValue = workspace.queryKeyValue
        let context = workspace.context, attended = workspace.attended
        let expanded = workspace.expanded, scores = workspace.scores

        // Embeddings: word + position + token type 0, then LayerNorm.
        for (sequence, ids) in sequences.enumerated() {
            for (position, id) in ids.enumerated() {
                let row = states + (starts[sequence] + position) * hidden
                let word = wordEmbeddings + Int(id) * hidden
                let place = positionEmbeddings + position * hidden
                var column = 0
                while column < hidden {
                    row[column] = word[column] + place[column] + tokenTypeEmbedding[column]
                    column += 1
                }
            }
        }
        VectorMath.layerNormRows(states, rows: tokenCount, width: hidden,
                                 weight: embeddingNormWeight, bias: embeddingNormBias, epsilon: epsilon)

        let scale = 1 / Float(headSize).squareRoot()
        for (number, layer) in layers.enumerated() {
            let half = halfLayers?[number]
            // Query, key and value for every token: bias rows first, then += states · Wᵀ.
            Self.fillRows(queryKeyValue, rows: tokenCount, with: layer.queryKeyValueBias, width: 3 * hidden)
            Self.weightProduct(states, rowStride: hidden, layer.queryKeyValueWeight, half: half?.queryKeyValue, into: queryKeyValue, rowStride: 3 * hidden,
                               m: tokenCount, n: 3 * hidden, k: hidden, team: team, directKernel: directKernel)

            // Self-attention per text and head: softmax(Q·Kᵀ/√d) · V into the head's columns.
            for (sequence, length) in lengths.enumerated() {
                let block = queryKeyValue + starts[sequence] * 3 * hidden
                for head in 0 ..< heads {
                    let query = block + head * headSize
                    let key = block + hidden + head * headSize
                    let value = block + 2 * hidden + head * headSize
                    BLAS.multiply(query, rowStride: 3 * hidden, key, rowStride: 3 * hidden, transposeB: true,
                                  into: scores, rowStride: length, m: length, n: length, k: headSize, alpha: scale)
                    VectorMath.softmaxRows(scores, rows: length, width: length, stride: length)
                    BLAS.multiply(scores, rowStride: length, value, rowStride: 3 * hidden, transposeB: false,
                                  into: context + starts[sequence] * hidden + head * headSize, rowStride: hidden,
                                  m: length, n: headSize, k: length)
                }
            }

            // Attention output: residual + bias + context · Wᵀ, then LayerNorm.
            VectorMath.addRows(states, rows: tokenCount, width: hidden, bias: layer.attentionOutputBias, into: attended)
            Self.weightProduct(context, rowStride: hidden, layer.attentionOutputWeight, half: half?.attentionOutput, into: attended, rowStride: hidden,
                               m: tokenCount, n: hidden, k: hidden, team: team, directKernel: directKernel)
            VectorMath.layerNormRows(attended, rows: tokenCount, width: hidden,
                                     weight: layer.attentionNormWeight, bias: layer.attentionNormBias, epsilon: epsilon)

            // Feed-forward: GELU(attended · W1ᵀ + b1) · W2ᵀ + b2 + attended, then LayerNorm.
            Self.fillRows(expanded, rows: tokenCount, with: layer.intermediateBias, width: intermediate)
            Self.weightProduct(attended, rowStride: hidden, layer.intermediateWeight, half: half?.intermediate, into: expanded, rowStride: intermediate,
                               m: tokenCount, n: intermediate, k: hidden, team: team, directKernel: directKernel)
            VectorMath.gelu(expanded, count: tokenCount * intermediate)
            VectorMath.addRows(attended, rows: tokenCount, width: hidden, bias: layer.outputBias, into: states)
            Self.weightProduct(expanded, rowStride: intermediate, layer.outputWeight, half: half?.output, into: states, rowStride: hidden,
                               m: tokenCount, n: hidden, k: intermediate, team: team, directKernel: directKernel)
            VectorMath.layerNormRows(states, rows: tokenCount, width: hidden,
                                     weight: layer.outputNormWeight, bias: layer.outputNormBias, epsilon: epsilon)
        }

        // Mean over each text's tokens, then scale to unit length.
        for (sequence, length) in lengths.enumerated() {
            let vector = output + sequence * hidden
            vector.initialize(repeating: 0, count: hidden)
            for position in 0 ..< length {
                let row = states + (starts[sequence] + position) * hidden
                var column = 0
                while column < hidden {
                    vector[column] += row[column]
                    column += 1
                }
            }
            let inverseCount = 1 / Float(max(length, 1))
            var column = 0
            while column < hidden {
                vector[column] *= inverseCount
                column += 1
            }
            // torch.nn.functional.normalize divides by max(‖v‖, 1e-12).
            var squares: Float = 0
            column = 0
            while column < hidden {
                squares += vector[column] * vector[column]
                column += 1
            }
            let inverseNorm = 1 / max(squares.squareRoot(), 1e-12)
            column = 0
            while column < hidden {
                vector[column] *= inverseNorm
                column += 1
            }
        }
    }

    /// C += A · Wᵀ for a weight matrix W of n rows of k (A is m×k, C is m×n). With a `team` the
    /// n output columns are split into one slice per thread, each its own product: a short
    /// query's products are too small for OpenBLAS to thread well, and its process-wide thread
    /// count stays 1 (`SentenceEmbedder`).
    private static func weightProduct(
        _ a: UnsafeMutablePointer<Float>, rowStride aStride: Int, _ weight: UnsafePointer<Float>, half: UnsafePointer<UInt16>?,
        into c: UnsafeMutablePointer<Float>, rowStride cStride: Int, m: Int, n: Int, k: Int, team: ProductTeam?, directKernel: Bool
    ) {
        // A few rows: the direct kernel, which reads the weights once instead of packing them.
        let direct = directKernel && m <= smallProductRows && smallProductKernel
        func slice(_ a: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ half: UnsafePointer<UInt16>?,
                   _ c: UnsafeMutablePointer<Float>, columns: Int) {
            if direct, let half {
                paperboy_rows_times_half_weights(a, aStride, half, k, c, cStride, m, columns)
            } else if direct {
                paperboy_rows_times_weights(a, aStride, weight, k, c, cStride, m, columns)
            } else {
                BLAS.multiply(a, rowStride: aStride, weight, rowStride: k, transposeB: true,
                              into: c, rowStride: cStride, m: m, n: columns, k: k, beta: 1)
            }
        }
        guard let team else {
            slice(a, weight, half, c, columns: n)
            return
        }
        let parts = team.members + 1
        team.run(parts: parts) { part in
            // Slices start on multiples of 16 columns, the kernels' widest unroll.
            let start = (n * part / parts) / 16 * 16
            let end = part == parts - 1 ? n : (n * (part + 1) / parts) / 16 * 16
            guard end > start else { return }
            slice(a, weight + start * k, half.map { $0 + start * k }, c + start, columns: end - start)
        }
    }

    /// Up to this many rows (tokens in a pass) a product takes the direct kernel: measured on
    /// the development machine, sgemm's copy of the weights costs more below it.
    static let smallProductRows = 32
    static let smallProductKernel = paperboy_matrix_kernels_available() != 0

    /// Every row of `matrix` set to `row`.
    private static func fillRows(_ matrix: UnsafeMutablePointer<Float>, rows: Int, with row: UnsafePointer<Float>, width: Int) {
        for index in 0 ..< rows {
            (matrix + index * width).update(from: row, count: width)
        }
    }

    /// Scratch memory for one forward pass, owned by the call that made it.
    private struct Workspace {
        let states: UnsafeMutablePointer<Float>
        let queryKeyValue: UnsafeMutablePointer<Float>
        let context: UnsafeMutablePointer<Float>
        let attended: UnsafeMutablePointer<Float>
        let expanded: UnsafeMutablePointer<Float>
        let scores: UnsafeMutablePointer<Float>
        private let base: UnsafeMutableRawPointer

        init(tokens: Int, hidden: Int, intermediate: Int, longest: Int) {
            let sizes = [tokens * hidden, tokens * 3 * hidden, tokens * hidden, tokens * hidden,
                         tokens * intermediate, longest * longest]
            let padded = sizes.map { ($0 + 15) / 16 * 16 }
            base = UnsafeMutableRawPointer.allocate(byteCount: padded.reduce(0, +) * MemoryLayout<Float>.stride, alignment: 64)
            let floats = base.bindMemory(to: Float.self, capacity: padded.reduce(0, +))
            var offset = 0
            var pointers: [UnsafeMutablePointer<Float>] = []
            for size in padded {
                pointers.append(floats + offset)
                offset += size
            }
            states = pointers[0]
            queryKeyValue = pointers[1]
            context = pointers[2]
            attended = pointers[3]
            expanded = pointers[4]
            scores = pointers[5]
        }

        func deallocate() {
            base.deallocate()
        }
    }
}

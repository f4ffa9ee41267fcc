/// Why the embedding model could not be loaded: names the file (and tensor) and what is wrong.
public struct EmbedderError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Reason: String, Sendable, Equatable {
        case missingFile = "missing file"
        case unreadableFile = "unreadable file"
        case truncatedFile = "truncated file"
        case invalidHeader = "invalid safetensors header"
        case missingTensor = "missing tensor"
        case wrongShape = "wrong tensor shape"
        case unsupportedDataType = "unsupported tensor data type"
        case invalidVocabulary = "invalid vocabulary"
        case invalidConfiguration = "invalid model configuration"
    }

    public let reason: Reason
    /// The file (or folder) the problem is in.
    public let path: String
    /// The tensor concerned, when there is one.
    public let tensor: String?
    /// What exactly is wrong, in words.
    public let detail: String

    public init(_ reason: Reason, path: String, tensor: String? = nil, detail: String) {
        self.reason = reason
        self.path = path
        self.tensor = tensor
        self.detail = detail
    }

    public var description: String {
        let subject = tensor.map { "\(path) [tensor \($0)]" } ?? path
        return "\(reason.rawValue): \(subject): \(detail)"
    }
}

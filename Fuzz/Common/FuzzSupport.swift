import Foundation

// Shared by every target: compiled into each target's module next to its entry file.

/// The fuzzer's bytes as Data (copied: libFuzzer owns the buffer).
func fuzzData(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> Data {
    Data(UnsafeBufferPointer(start: bytes, count: size))
}

/// A broken invariant: print it and abort, so libFuzzer saves the input as a crash.
func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        FileHandle.standardError.write(Data("invariant failed: \(message())\n".utf8))
        abort()
    }
}

/// Only http(s) links may leave a parser; anything else could become a live link on a page.
func isWebURL(_ text: String?) -> Bool {
    guard let text else { return true }
    let lower = text.lowercased()
    return lower.hasPrefix("https://") || lower.hasPrefix("http://")
}

func hasControlCharacters(_ text: String) -> Bool {
    text.unicodeScalars.contains { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" }
}

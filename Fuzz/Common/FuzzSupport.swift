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
/// Compared as bytes: as Characters, "https://" followed by a combining mark does not start with "https://".
func isWebURL(_ text: String?) -> Bool {
    guard let text else { return true }
    let lower = text.utf8.prefix(8).map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
    return lower.starts(with: "https://".utf8) || lower.starts(with: "http://".utf8)
}

func hasControlCharacters(_ text: String) -> Bool {
    text.unicodeScalars.contains { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" }
}

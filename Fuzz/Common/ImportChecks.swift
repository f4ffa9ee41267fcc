import Foundation
import PaperboyCore

// What every accepted import record must look like, whatever the file said.

func checkValidated(_ raw: Result<RawRecord, RecordRejection>) {
    let record: PaperRecord
    do {
        record = try RecordValidator.validate(raw.get())
    } catch {
        // A rejection is the parser doing its job; it must say why.
        invariant(!error.reason.isEmpty, "a rejection without a reason")
        return
    }
    let paper = record.paper
    invariant(!paper.title.isEmpty, "accepted a record without a title")
    invariant(paper.title.count <= RecordValidator.maxTitleLength, "title over the limit")
    invariant(paper.abstract.count <= RecordValidator.maxAbstractLength, "abstract over the limit")
    invariant(paper.authors.count <= RecordValidator.maxAuthors, "too many authors")
    invariant(!hasControlCharacters(paper.title) && !paper.authors.contains(where: hasControlCharacters), "control characters kept")
    invariant(ArxivID.isValid(paper.id) || RecordValidator.isLocalID(paper.id), "id \(paper.id.debugDescription) is neither arXiv nor local")
    invariant(isWebURL(paper.projectPage) && isWebURL(paper.pdfURL), "a non-http(s) link was kept")
    invariant(paper.upvotes >= 0 && paper.commentCount >= 0, "negative counts")
    if let submitter = paper.submittedBy { invariant(RecordValidator.isUsername(submitter), "bad submitter kept") }
}

/// Runs the line splitting and decoding `Importer` does for JSON Lines, on the fuzzer's bytes as a file.
func importLines(_ data: Data, format: ImportFormat) {
    let decoder = JSONDecoder()
    for line in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
        checkValidated(RecordDecoding.line(Data(line), format: format, decoder: decoder))
    }
}

import PaperboyCore
import Testing

@Suite struct FormFieldsTests {
    @Test func encoded_plusAndPercentEscapes_decodeFirstValueWins() {
        let fields = FormFields(encoded: "q=sparse+attention&q=other&name=%E2%9C%93&empty=&flag")
        #expect(fields.values == ["q": "sparse attention", "name": "✓", "empty": "", "flag": ""])
        #expect(fields.malformed.isEmpty)
    }

    /// Found by Fuzz/FormFields: after a malformed first value, a later value of the same name
    /// was decoded too, so the name was both malformed and had a value.
    @Test func malformedFirstValue_laterValue_isIgnored() {
        let fields = FormFields(encoded: "a=%zz&a=1&b=%E2%9C")
        #expect(fields.malformed == ["a", "b"])
        #expect(fields.values.isEmpty)
    }
}

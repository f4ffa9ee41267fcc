/// A JSON field that may hold one value or a list of them (`"github": "url"` or `"github": ["url", …]`).
struct OneOrMany<Value: Decodable>: Decodable {
    let values: [Value]

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            values = []
        } else if let list = try? container.decode([Value].self) {
            values = list
        } else {
            values = [try container.decode(Value.self)]
        }
    }
}

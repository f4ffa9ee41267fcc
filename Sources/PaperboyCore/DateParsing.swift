import Foundation

/// Parses the date formats paper sources use, by hand: they are fixed formats, and this is
/// on the import hot path where formatter objects are slow and not all are thread-safe.
public enum DateParsing {
    /// `2024-05-31`, `2024-05-31T17:59:59Z`, `2024-05-31T17:59:59.123Z`, `2024-05-31T17:59:59+02:00`,
    /// or RFC 2822 as in arXiv's version list (`Mon, 2 Apr 2007 19:18:42 GMT`).
    public static func parse(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let first = trimmed.first, first.isASCIIDigit { return iso8601(trimmed) }
        return rfc2822(trimmed)
    }

    static func iso8601(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ length: Int) -> Int? {
            guard start + length <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<start + length] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes.count >= 10, bytes[4] == 45, bytes[7] == 45,
              let year = number(0, 4), let month = number(5, 2), let dayOfMonth = number(8, 2),
              let day = Day(year: year, month: month, day: dayOfMonth)
        else { return nil }
        var seconds = Double(day.daysSinceEpoch) * 86_400
        if bytes.count == 10 { return Date(timeIntervalSince1970: seconds) }
        guard bytes.count >= 19, bytes[10] == 84 || bytes[10] == 32, bytes[13] == 58, bytes[16] == 58,
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              hour < 24, minute < 60, second < 61
        else { return nil }
        seconds += Double(hour * 3600 + minute * 60 + second)
        var index = 19
        if index < bytes.count, bytes[index] == 46 {
            index += 1
            var scale = 0.1
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                seconds += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        if index == bytes.count { return Date(timeIntervalSince1970: seconds) }
        if bytes[index] == 90, index + 1 == bytes.count { return Date(timeIntervalSince1970: seconds) }
        if bytes[index] == 43 || bytes[index] == 45, bytes.count == index + 6, bytes[index + 3] == 58,
           let offsetHours = number(index + 1, 2), let offsetMinutes = number(index + 4, 2) {
            let offset = Double(offsetHours * 3600 + offsetMinutes * 60)
            return Date(timeIntervalSince1970: bytes[index] == 43 ? seconds - offset : seconds + offset)
        }
        return nil
    }

    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    static func rfc2822(_ text: String) -> Date? {
        var parts = text.split(separator: " ")
        if let first = parts.first, first.hasSuffix(",") { parts.removeFirst() }
        guard parts.count >= 4, let dayOfMonth = Int(parts[0]),
              let monthIndex = months.firstIndex(of: parts[1].lowercased()),
              let year = Int(parts[2]), let day = Day(year: year, month: monthIndex + 1, day: dayOfMonth)
        else { return nil }
        let clock = parts[3].split(separator: ":").compactMap { Int($0) }
        // Each part in range, negative ones too: "-3000000000000000000:0" overflowed the
        // multiplication below and stopped the process.
        guard clock.count >= 2, clock.count <= 3, (0..<24).contains(clock[0]), (0..<60).contains(clock[1]),
              clock.count == 2 || (0...60).contains(clock[2]) else { return nil }
        var seconds = Double(day.daysSinceEpoch) * 86_400 + Double(clock[0] * 3600 + clock[1] * 60 + (clock.count == 3 ? clock[2] : 0))
        if parts.count >= 5, let sign = parts[4].first, sign == "+" || sign == "-", parts[4].count == 5,
           let value = Int(parts[4].dropFirst()) {
            let offset = Double((value / 100) * 3600 + (value % 100) * 60)
            seconds += sign == "+" ? -offset : offset
        }
        return Date(timeIntervalSince1970: seconds)
    }

    /// `2024-05-31T17:59:59.000Z`, the Hub's timestamp format.
    public static func iso8601String(_ date: Date) -> String {
        let total = date.timeIntervalSince1970
        let wholeSeconds = Int(total.rounded(.down))
        let milliseconds = min(999, Int(((total - Double(wholeSeconds)) * 1000).rounded()))
        let day = Day(daysSinceEpoch: Int((Double(wholeSeconds) / 86_400).rounded(.down)))
        let secondOfDay = wholeSeconds - day.daysSinceEpoch * 86_400
        return "\(day.iso)T\(Day.pad(secondOfDay / 3600, 2)):\(Day.pad(secondOfDay / 60 % 60, 2)):\(Day.pad(secondOfDay % 60, 2)).\(Day.pad(milliseconds, 3))Z"
    }
}

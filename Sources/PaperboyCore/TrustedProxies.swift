import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as bytes; an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) is its IPv4 address.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// Parses `1.2.3.4`, `2001:db8::1`, `[2001:db8::1]`, and either with a port (`1.2.3.4:80`, `[::1]:80`).
    public init?(_ text: some StringProtocol) {
        var text = String(text).trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty, text.utf8.count <= 64 else { return nil }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            text = String(text[text.index(after: text.startIndex)..<close])
        } else if text.filter({ $0 == ":" }).count == 1 {
            text = String(text[..<(text.firstIndex(of: ":") ?? text.endIndex)])
        }
        // A zone (fe80::1%eth0) does not change which host it is.
        if let percent = text.firstIndex(of: "%") { text = String(text[..<percent]) }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: v4.s_addr) { Array($0) }
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let all = withUnsafeBytes(of: v6) { Array($0) }
        if all[0..<10].allSatisfy({ $0 == 0 }), all[10] == 0xFF, all[11] == 0xFF {
            bytes = Array(all[12..<16])
        } else {
            bytes = all
        }
    }

    public var description: String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        var groups: [String] = []
        for index in stride(from: 0, to: 16, by: 2) { groups.append(String(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]), radix: 16)) }
        return groups.joined(separator: ":")
    }

    /// The /64 an IPv6 host usually has to itself, or the IPv4 address: what rate limits count by,
    /// since one IPv6 host can use any address in its /64.
    public var rateLimitKey: String {
        guard bytes.count == 16 else { return description }
        return IPAddress(prefixOf: self, bits: 64).description + "/64"
    }

    private init(prefixOf address: IPAddress, bits: Int) {
        bytes = address.bytes.enumerated().map { index, byte in
            let keep = max(0, min(8, bits - index * 8))
            return keep == 8 ? byte : byte & ~(0xFF >> keep)
        }
    }
}

/// The reverse proxies whose forwarding headers are believed (`--trusted-proxies`), as addresses
/// and CIDR ranges. With none (the default), the client is whoever connected: a header cannot
/// make one client look like many, or like someone else.
public struct TrustedProxies: Sendable, Equatable {
    public struct Range: Sendable, Equatable {
        let network: [UInt8]
        let bits: Int

        func contains(_ address: IPAddress) -> Bool {
            guard address.bytes.count == network.count else { return false }
            var remaining = bits
            for (byte, networkByte) in zip(address.bytes, network) {
                guard remaining > 0 else { return true }
                let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> remaining)
                if byte & mask != networkByte & mask { return false }
                remaining -= 8
            }
            return true
        }
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public let ranges: [Range]

    public init() { ranges = [] }

    /// From `127.0.0.1, 10.0.0.0/8, ::1` (commas or spaces between entries).
    public init(parsing text: String) throws(Invalid) {
        var ranges: [Range] = []
        for entry in text.split(whereSeparator: { $0 == "," || $0 == " " }) where !entry.isEmpty {
            let parts = entry.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count <= 2, let address = IPAddress(parts[0]), !parts[0].contains("]:") else {
                throw Invalid(description: "--trusted-proxies: \"\(entry.prefix(60))\" is not an IP address or CIDR range (like 10.0.0.0/8 or ::1)")
            }
            let maximum = address.bytes.count * 8
            var bits = maximum
            if parts.count == 2 {
                guard let given = Int(parts[1]), (0...maximum).contains(given) else {
                    throw Invalid(description: "--trusted-proxies: the prefix length in \"\(entry.prefix(60))\" must be 0 to \(maximum)")
                }
                bits = given
            }
            ranges.append(Range(network: address.bytes, bits: bits))
        }
        self.ranges = ranges
    }

    public var isEmpty: Bool { ranges.isEmpty }

    public func trusts(_ address: IPAddress) -> Bool { ranges.contains { $0.contains(address) } }

    /// The client behind `peer`: `peer` itself unless it is a trusted proxy; then, walking the
    /// forwarded chain from the nearest hop back, the first address that is not a trusted proxy.
    /// `Forwarded` (RFC 7239) is read when present, otherwise `X-Forwarded-For`. A hop that is not
    /// an address (`unknown`, an obfuscated name, junk) stops the walk there: nothing before it can
    /// be believed, so the hop that handed it over counts as the client.
    public func client(peer: IPAddress, forwarded: [String], forwardedFor: [String]) -> IPAddress {
        guard trusts(peer) else { return peer }
        let chain: [Substring]
        if !forwarded.isEmpty {
            chain = forwarded.joined(separator: ",").split(separator: ",").map { element in
                for pair in element.split(separator: ";") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces).lowercased() == "for" {
                        return Substring(parts[1].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
                    }
                }
                return ""
            }
        } else {
            chain = forwardedFor.joined(separator: ",").split(separator: ",")
        }
        var client = peer
        // Bounded: a header with thousands of hops costs no more than a few dozen.
        for hop in chain.suffix(32).reversed() {
            guard let address = IPAddress(hop) else { return client }
            client = address
            if !trusts(address) { return address }
        }
        return client
    }
}

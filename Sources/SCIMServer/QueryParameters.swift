import SCIMProtocol

/// The query component of a request URI, decoded the way browsers and identity providers encode
/// it (`application/x-www-form-urlencoded`): `+` is a space, `%2B` a plus, and `%XX` sequences are
/// bytes of UTF-8. Entra ID sends `filter=displayName+eq+%22EDU+All+personal%22`; Okta sends
/// `%20`. Hummingbird's `queryParameters` percent-decodes values but keeps `+`, so every SCIM
/// query parameter is read through this type instead.
///
/// Names match case-insensitively (clients differ on `startindex`). A name that appears twice is
/// refused rather than guessed at, and a value that is not valid percent-encoded UTF-8 is refused
/// (`400`), never passed on half-decoded.
struct QueryParameters: Sendable {
    /// Decoded names (lowercased) with their still-encoded values, in order.
    private let pairs: [(name: String, raw: Substring)]

    /// Splits `raw` (the part after `?`, without `#fragment`) into parameters. Pairs whose name
    /// does not decode are kept out: no SCIM parameter has such a name.
    init(raw: String?) {
        var pairs: [(name: String, raw: Substring)] = []
        for item in (raw ?? "").split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring
            let value: Substring
            if let equals = item.firstIndex(of: "=") {
                name = item[..<equals]
                value = item[item.index(after: equals)...]
            } else {
                name = item
                value = ""
            }
            guard let decoded = Self.decode(name) else { continue }
            pairs.append((decoded.lowercased(), value))
        }
        self.pairs = pairs
    }

    /// The decoded names given (lowercased), in order.
    var names: [String] { pairs.map(\.name) }

    /// The decoded value of `name`, or nil when it is absent.
    /// - Throws: `400 invalidValue` (`invalidFilter` for `filter`) when the parameter appears more
    ///   than once or its value is not valid percent-encoded UTF-8.
    func value(_ name: String) throws(SCIMError) -> String? {
        let wanted = name.lowercased()
        let matches = pairs.filter { $0.name == wanted }
        guard let first = matches.first else { return nil }
        func refuse(_ detail: String) -> SCIMError {
            wanted == "filter" ? .invalidFilter(detail) : .invalidValue(detail)
        }
        guard matches.count == 1 else {
            throw refuse("the query parameter '\(name)' is given \(matches.count) times; give it once")
        }
        guard let decoded = Self.decode(first.raw) else {
            throw refuse("the query parameter '\(name)' is not valid percent-encoded UTF-8 "
                         + "(encode a space as %20 or +, a plus as %2B, a percent sign as %25)")
        }
        return decoded
    }

    /// Form-decodes one name or value: `+` becomes a space, `%XX` the byte XX; the bytes must be
    /// UTF-8. Nil for a `%` not followed by two hex digits or for bytes that are not UTF-8.
    static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

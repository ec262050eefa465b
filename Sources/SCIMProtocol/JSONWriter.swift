extension JSONValue {
    /// Compact, deterministic JSON encoding.
    ///
    /// Object keys are written with `"schemas"` first, then `"id"`, then `"externalId"`, then the
    /// rest in byte order of their UTF-8, and `"meta"` last — at every nesting level. Integers are
    /// written as integers; a whole `Double` within `Int64` is written as an integer too; other
    /// doubles use Swift's shortest round-trip form; NaN and infinities become `null`. Strings are
    /// escaped per RFC 8259 (`"`, `\` and control characters as `\u00XX`; `/` is not escaped).
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out)
        return out
    }

    private func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d):
            if !d.isFinite { out.append(contentsOf: "null".utf8) }
            else if let i = d.wholeInt64 { out.append(contentsOf: String(i).utf8) }
            else { out.append(contentsOf: d.description.utf8) }
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (n, e) in a.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                e.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            for (n, k) in JSONValue.orderedKeys(o).enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.writeString(k, into: &out)
                out.append(UInt8(ascii: ":"))
                o[k]!.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// The serialisation order of an object's keys.
    static func orderedKeys(_ o: [String: JSONValue]) -> [String] {
        func rank(_ k: String) -> Int {
            switch k {
            case "schemas": return 0
            case "id": return 1
            case "externalId": return 2
            case "meta": return 4
            default: return 3
            }
        }
        return o.keys.sorted { a, b in
            let ra = rank(a), rb = rank(b)
            if ra != rb { return ra < rb }
            return a.utf8.lexicographicallyPrecedes(b.utf8)
        }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(b)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(b)
            case 0..<0x20, 0x7F:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

// Small text helpers shared by the rules. Standard library only.

enum Text {
    /// True for scalars that must never reach a passwd/group line, a path, a key comment or a log line
    /// unescaped: C0 and C1 controls and DEL (category Cc), format characters such as bidi overrides and
    /// zero-width joiners (Cf), line and paragraph separators (Zl, Zp), surrogates, private-use and
    /// unassigned code points.
    static func isUnsafe(_ u: Unicode.Scalar) -> Bool {
        if u.value < 0x20 || (u.value >= 0x7F && u.value <= 0x9F) { return true }
        if u.isASCII { return false }
        switch u.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned:
            return true
        default:
            return false
        }
    }

    /// Renders a value for a human reason: in double quotes, with `"` and `\` escaped, every unsafe
    /// scalar written as `Printable.escaped` writes it, and at most `limit` scalars (then `…`).
    static func quoted(_ s: String, limit: Int = 64) -> String {
        var out = "\""
        var count = 0
        for u in s.unicodeScalars {
            if count == limit { out += "…"; break }
            count += 1
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: Printable.append(u, to: &out)
            }
        }
        return out + "\""
    }

    /// Renders raw bytes (for example a type name embedded in a key blob) like `quoted`, replacing
    /// invalid UTF-8 with U+FFFD.
    static func quoted(bytes: some Collection<UInt8>, limit: Int = 64) -> String {
        quoted(String(decoding: Array(bytes.prefix(limit * 4)), as: UTF8.self), limit: limit)
    }

    /// Lowercases ASCII letters A–Z only; every other scalar is kept as is. A string without one is
    /// returned as it is (no copy: the rules call this for every entry of a snapshot).
    static func asciiLowercased(_ s: String) -> String {
        guard s.utf8.contains(where: isASCIIUpper) else { return s }
        // Only A–Z change, one byte for one byte, so the result is valid UTF-8 whenever `s` is.
        return String(decoding: s.utf8.map { isASCIIUpper($0) ? $0 + 0x20 : $0 }, as: UTF8.self)
    }

    /// True when `a` and `b` are equal once ASCII letters are lowercased (`asciiLowercased`), without
    /// making either lowercased string.
    static func equalsIgnoringASCIICase(_ a: String, _ b: String) -> Bool {
        a.utf8.elementsEqual(b.utf8) { x, y in
            x == y || (isASCIIUpper(x) ? x + 0x20 : x) == (isASCIIUpper(y) ? y + 0x20 : y)
        }
    }

    private static func isASCIIUpper(_ byte: UInt8) -> Bool { byte >= 0x41 && byte <= 0x5A }

    /// FNV-1a, 32 bits, over the UTF-8 bytes of `s`.
    static func fnv1a32(_ s: String) -> UInt32 {
        var hash: UInt32 = 0x811C_9DC5
        for byte in s.utf8 {
            hash ^= UInt32(byte)
            hash &*= 0x0100_0193
        }
        return hash
    }

    /// Eight lowercase hexadecimal digits.
    static func hex8(_ v: UInt32) -> String {
        let digits = String(v, radix: 16, uppercase: false)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// Removes leading and trailing spaces and tabs.
    static func trimmingBlanks(_ s: String) -> Substring {
        var sub = Substring(s)
        while let first = sub.first, first == " " || first == "\t" { sub.removeFirst() }
        while let last = sub.last, last == " " || last == "\t" { sub.removeLast() }
        return sub
    }
}

/// The one escaping rule for text that reaches a log line, a status line, an error detail or a
/// terminal: every unsafe scalar (`Text.isUnsafe`: controls, format characters such as bidi
/// overrides, line separators, unassigned…) becomes `\n`, `\r`, `\t`, `\0` or `\u{HEX}`, so such
/// text can neither forge a line nor hide what it says. Everything else is kept.
/// Bytes as lowercase hexadecimal, two digits each (digests, instance ids).
public enum Hex {
    public static func lowercase(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}

public enum Printable {
    public static func escaped(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: Text.isUnsafe) else { return s }
        var out = ""
        for u in s.unicodeScalars { append(u, to: &out) }
        return out
    }

    /// `s` in double quotes, `"` and `\\` escaped, unsafe scalars as `escaped` writes them, at most
    /// `limit` scalars (then `…`): a value quoted in a reason or a log line.
    public static func quoted(_ s: String, limit: Int = 64) -> String { Text.quoted(s, limit: limit) }

    /// True for a scalar `escaped` rewrites.
    public static func isUnsafe(_ u: Unicode.Scalar) -> Bool { Text.isUnsafe(u) }

    /// Appends `u` to `out`, escaped when unsafe.
    static func append(_ u: Unicode.Scalar, to out: inout String) {
        switch u {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\0": out += "\\0"
        default:
            if Text.isUnsafe(u) {
                out += "\\u{" + String(u.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
}

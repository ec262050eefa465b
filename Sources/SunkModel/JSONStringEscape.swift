// JSON string escapes (RFC 8259, section 7), for the parsers that read JSON strings by hand.

/// The escapes of a JSON string, written once for every hand-written JSON reader (SCIM filter
/// literals, the node's snapshot reader). Each reader keeps its own error reporting.
public enum JSONStringEscape {
    /// The byte a one-character escape stands for (`\"` `\\` `\/` `\b` `\f` `\n` `\r` `\t`); nil for
    /// any other letter, `u` included.
    public static func byte(for escape: UInt8) -> UInt8? {
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): return escape
        case UInt8(ascii: "b"): return 0x08
        case UInt8(ascii: "f"): return 0x0C
        case UInt8(ascii: "n"): return 0x0A
        case UInt8(ascii: "r"): return 0x0D
        case UInt8(ascii: "t"): return 0x09
        default: return nil
        }
    }

    /// The value of one hex digit of a `\u` escape (either case), or nil.
    public static func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    /// True for the first half of a surrogate pair: a `\u` escape that must be followed by another.
    public static func isHighSurrogate(_ code: UInt32) -> Bool { (0xD800...0xDBFF).contains(code) }

    /// The scalar of one `\u` escape (`code`), or of a surrogate pair (`code` then `low`); nil for a
    /// lone or unpaired surrogate.
    public static func scalar(_ code: UInt32, low: UInt32? = nil) -> Unicode.Scalar? {
        guard let low else { return Unicode.Scalar(code) }
        guard isHighSurrogate(code), (0xDC00...0xDFFF).contains(low) else { return nil }
        return Unicode.Scalar(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))
    }
}

// Standard base64 (RFC 4648 §4) without Foundation: strict decoding, canonical encoding.

public enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard alphabet, `=` padding, no line breaks.
    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        encode(bytes, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the encoding of `bytes` (as `encode` writes it) to `out`.
    static func encode(_ bytes: [UInt8], into out: inout [UInt8]) {
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(alphabet[Int(n & 63)])
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(UInt8(ascii: "="))
        }
    }

    /// Strict decoding: standard alphabet only (no `-`/`_`, no whitespace, no line breaks), length a
    /// multiple of 4, `=` only as one or two final padding characters, and the unused bits before the
    /// padding zero (so every accepted input is exactly what `encode` produces). Nil otherwise.
    public static func decode(_ string: String) -> [UInt8]? {
        let chars = Array(string.utf8)
        return decode(chars, 0, chars.count)
    }

    static func decode(utf8 chars: [UInt8]) -> [UInt8]? {
        decode(chars, 0, chars.count)
    }

    /// `decode` of `chars[start..<end]`, written straight into an array of the exact decoded size.
    static func decode(_ chars: [UInt8], _ start: Int, _ end: Int) -> [UInt8]? {
        let length = end - start
        guard length % 4 == 0 else { return nil }
        let pad = UInt8(ascii: "=")
        // Exact size when the input is valid (padding only at the end); invalid input returns nil
        // before writing past it (a `=` anywhere else fails its group's check first).
        var size = length / 4 * 3
        if length > 0 && chars[end - 1] == pad { size -= chars[end - 2] == pad ? 2 : 1 }
        var out = [UInt8](repeating: 0, count: size)
        var o = 0
        var i = start
        while i < end {
            let isLast = i + 4 == end
            guard let a = value(chars[i]), let b = value(chars[i + 1]) else { return nil }
            let c3 = chars[i + 2], c4 = chars[i + 3]
            if c3 == pad {
                guard isLast, c4 == pad, b & 0x0F == 0 else { return nil }
                out[o] = a << 2 | b >> 4
            } else if c4 == pad {
                guard isLast, let c = value(c3), c & 0x03 == 0 else { return nil }
                out[o] = a << 2 | b >> 4
                out[o + 1] = b << 4 | c >> 2
            } else {
                guard let c = value(c3), let d = value(c4) else { return nil }
                out[o] = a << 2 | b >> 4
                out[o + 1] = b << 4 | c >> 2
                out[o + 2] = c << 6 | d
                o += 3
            }
            i += 4
        }
        return out
    }

    @inline(__always)
    private static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return c - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return c - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }
}

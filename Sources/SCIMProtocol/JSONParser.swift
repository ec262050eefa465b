/// The reader behind `JSONValue.parse`: RFC 8259 in one pass over the bytes, straight into
/// `JSONValue`. Every SCIM write parses its body and every read of a stored user parses its
/// document, and Foundation's `JSONDecoder` (through `JSONValue`'s `Decodable` conformance, which
/// tries each type in turn) was a tenth of a create's time.
///
/// It gives the answers Foundation gives (`JSONParserTests` compares the two), so stored
/// documents and clients see no change:
/// - a number whose value is a whole number within `Int64` is `.int`, however it is written
///   (`100001.0` and `1e3` too: Okta sends integers so); any other number is `.double`, and one
///   beyond `Double`'s range is refused;
/// - of an object's repeated keys the first is kept;
/// - strings are checked as JSON says: no raw control characters, only the defined escapes, and
///   `\u` surrogates only in pairs.
/// Where it differs, it is stricter or exact: a trailing comma and nesting past the caller's
/// limit are refused; the whole document is checked (`JSONDecoder` reads lazily and lets a bad
/// escape through in the ignored value of a repeated key); and whether a number past 2^53 written
/// with a fraction or exponent is whole is decided on its digits, not on the rounded `Double`.
struct JSONParser {
    enum Failure: Error {
        case invalid
        case tooDeep
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private let maximumDepth: Int
    private var index = 0
    private var depth = 0

    /// Parses one JSON text (a value with optional white space around it) from `bytes`, which
    /// must already be valid UTF-8.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int) throws(Failure) -> JSONValue {
        var parser = JSONParser(bytes: bytes, maximumDepth: maximumDepth)
        parser.skipSpace()
        let value = try parser.value()
        parser.skipSpace()
        guard parser.index == bytes.count else { throw .invalid }
        return value
    }

    private init(bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    private mutating func value() throws(Failure) -> JSONValue {
        guard index < bytes.count else { throw .invalid }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return try number()
        }
    }

    private mutating func object() throws(Failure) -> JSONValue {
        try enter()
        var members: [String: JSONValue] = [:]
        skipSpace()
        if take(UInt8(ascii: "}")) { depth -= 1; return .object(members) }
        repeat {
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw .invalid }
            let key = try string()
            skipSpace()
            guard take(UInt8(ascii: ":")) else { throw .invalid }
            skipSpace()
            let member = try value()
            if members[key] == nil { members[key] = member }   // the first of repeated keys, as JSONDecoder
            skipSpace()
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "}")) else { throw .invalid }
        depth -= 1
        return .object(members)
    }

    private mutating func array() throws(Failure) -> JSONValue {
        try enter()
        var elements: [JSONValue] = []
        skipSpace()
        if take(UInt8(ascii: "]")) { depth -= 1; return .array(elements) }
        repeat {
            skipSpace()
            elements.append(try value())
            skipSpace()
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "]")) else { throw .invalid }
        depth -= 1
        return .array(elements)
    }

    /// Steps over the opening bracket of an object or array, one level deeper.
    private mutating func enter() throws(Failure) {
        depth += 1
        if depth > maximumDepth { throw .tooDeep }
        index += 1
    }

    private mutating func string() throws(Failure) -> String {
        index += 1   // the opening quote
        let start = index
        // The common case: no escapes, the bytes are the string (already valid UTF-8).
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw .invalid }
            index += 1
        }
        var text = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"): try unescape(into: &text)
            case 0..<0x20: throw .invalid
            default: text.append(byte)
            }
        }
        throw .invalid
    }

    /// One escape after its backslash, appended as UTF-8.
    private mutating func unescape(into text: inout [UInt8]) throws(Failure) {
        guard index < bytes.count else { throw .invalid }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(byte)
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {   // a high surrogate: its low half must follow
                guard take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")) else { throw .invalid }
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw .invalid }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw .invalid
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw .invalid }
            text.append(contentsOf: UTF8.encode(unicode)!)
        default: throw .invalid
        }
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw .invalid }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            index += 1
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .invalid
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, then `.int` when the value is a
    /// whole number within `Int64` (decided on the decimal digits, not on a rounded `Double`).
    private mutating func number() throws(Failure) -> JSONValue {
        let start = index
        let negative = take(UInt8(ascii: "-"))
        var digits: [UInt8] = []   // integer and fraction digits, without leading zeros
        var fractionDigits = 0
        let integerStart = index
        skipDigits(into: &digits)
        let integerCount = index - integerStart
        guard integerCount > 0, !(integerCount > 1 && bytes[integerStart] == UInt8(ascii: "0")) else { throw .invalid }
        if take(UInt8(ascii: ".")) {
            let fractionStart = index
            skipDigits(into: &digits)
            fractionDigits = index - fractionStart
            guard fractionDigits > 0 else { throw .invalid }
        }
        var exponent = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            let exponentNegative = take(UInt8(ascii: "-"))
            if !exponentNegative { _ = take(UInt8(ascii: "+")) }
            let exponentStart = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                if exponent < 100_000 { exponent = exponent * 10 + Int(bytes[index] - UInt8(ascii: "0")) }
                index += 1
            }
            guard index > exponentStart else { throw .invalid }
            if exponentNegative { exponent = -exponent }
        }
        if let whole = Self.wholeNumber(digits: digits, scale: exponent - fractionDigits, negative: negative) {
            return .int(whole)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let double = Double(text), double.isFinite else { throw .invalid }
        return .double(double)
    }

    /// Appends a run of decimal digits (leading zeros dropped) and steps over it.
    private mutating func skipDigits(into digits: inout [UInt8]) {
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            let digit = bytes[index] - UInt8(ascii: "0")
            if !(digits.isEmpty && digit == 0) { digits.append(digit) }
            index += 1
        }
    }

    /// digits × 10^scale when that is a whole number within `Int64`, else nil.
    private static func wholeNumber(digits: [UInt8], scale: Int, negative: Bool) -> Int64? {
        var digits = digits[...]
        var scale = scale
        while let last = digits.last, last == 0 { digits = digits.dropLast(); scale += 1 }
        if digits.isEmpty { return 0 }
        guard scale >= 0, digits.count + scale <= 19 else { return nil }
        var magnitude: UInt64 = 0
        for digit in digits { magnitude = magnitude * 10 + UInt64(digit) }
        for _ in 0..<scale {
            let (product, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            if overflow { return nil }
            magnitude = product
        }
        if negative {
            return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw .invalid }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { throw .invalid }
        index += count
    }

    /// Steps over `byte` when it is next.
    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): index += 1
            default: return
            }
        }
    }
}

import SunkModel

extension SCIMFilter {
    /// Longest filter text accepted, in UTF-8 bytes.
    public static let maximumLength = 4096
    /// Deepest nesting of parentheses, `not` and value paths accepted.
    public static let maximumDepth = 64

    /// Parses a filter expression (RFC 7644 §3.4.2.2).
    ///
    /// Operators, `and`, `or`, `not` and the literals `true`/`false`/`null` are case-insensitive.
    /// Precedence is `not` > `and` > `or`; parentheses group. Value paths (`emails[type eq "work"]`)
    /// are supported, but a sub-attribute after `]` is not (that form exists only in PATCH paths):
    /// write `emails.value eq "x"` or `emails[value eq "x"]` instead.
    /// - Throws: `400 invalidFilter` with a detail giving the position of the problem.
    public static func parse(_ text: String) throws(SCIMError) -> SCIMFilter {
        guard text.utf8.count <= maximumLength else {
            throw .invalidFilter("The filter is longer than \(maximumLength) characters.")
        }
        var p = FilterParser(tokens: try FilterLexer.tokenize(text))
        return try p.parseWhole()
    }
}

/// A lexical token of the filter grammar, with its 1-based byte position.
struct FilterToken {
    enum Kind: Equatable { case lparen, rparen, lbracket, rbracket, string(String), word(String), end }
    var kind: Kind
    var position: Int

    var display: String {
        switch kind {
        case .lparen: return "'('"
        case .rparen: return "')'"
        case .lbracket: return "'['"
        case .rbracket: return "']'"
        case .string: return "a string"
        case .word(let w): return "'" + String(w.prefix(32)) + (w.count > 32 ? "…" : "") + "'"
        case .end: return "the end of the filter"
        }
    }
}

enum FilterLexer {
    static func fail(_ pos: Int, _ what: String) -> SCIMError {
        .invalidFilter("Invalid filter at position \(pos): \(what).")
    }

    static func tokenize(_ text: String) throws(SCIMError) -> [FilterToken] {
        let b = Array(text.utf8)
        var out: [FilterToken] = []
        var i = 0
        while i < b.count {
            let c = b[i]
            switch c {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): i += 1
            case UInt8(ascii: "("): out.append(.init(kind: .lparen, position: i + 1)); i += 1
            case UInt8(ascii: ")"): out.append(.init(kind: .rparen, position: i + 1)); i += 1
            case UInt8(ascii: "["): out.append(.init(kind: .lbracket, position: i + 1)); i += 1
            case UInt8(ascii: "]"): out.append(.init(kind: .rbracket, position: i + 1)); i += 1
            case UInt8(ascii: "\""):
                let start = i
                let s = try readString(b, &i)
                out.append(.init(kind: .string(s), position: start + 1))
            default:
                let start = i
                while i < b.count, !" \t\n\r()[]\"".utf8.contains(b[i]) { i += 1 }
                out.append(.init(kind: .word(String(decoding: b[start..<i], as: UTF8.self)), position: start + 1))
            }
        }
        out.append(.init(kind: .end, position: b.count + 1))
        return out
    }

    /// Reads a JSON string literal starting at the opening quote; leaves `i` after the closing quote.
    static func readString(_ b: [UInt8], _ i: inout Int) throws(SCIMError) -> String {
        let start = i + 1
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < b.count else { throw fail(start, "unterminated string") }
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; break }
            if c < 0x20 { throw fail(i + 1, "control character in string") }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            guard i + 1 < b.count else { throw fail(i + 1, "unterminated escape") }
            let e = b[i + 1]
            i += 2
            if let simple = JSONStringEscape.byte(for: e) {
                out.append(simple)
                continue
            }
            guard e == UInt8(ascii: "u") else { throw fail(i - 1, "invalid escape sequence") }
            let code = try hex4(b, &i)
            var low: UInt32?
            if JSONStringEscape.isHighSurrogate(code) {
                guard i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else {
                    throw fail(i + 1, "unpaired surrogate escape")
                }
                i += 2
                low = try hex4(b, &i)
            }
            guard let scalar = JSONStringEscape.scalar(code, low: low) else { throw fail(i + 1, "unpaired surrogate escape") }
            UTF8.encode(scalar) { out.append($0) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hex4(_ b: [UInt8], _ i: inout Int) throws(SCIMError) -> UInt32 {
        guard i + 4 <= b.count else { throw fail(i + 1, "incomplete \\u escape") }
        var v: UInt32 = 0
        for k in 0..<4 {
            guard let d = JSONStringEscape.hexDigit(b[i + k]) else { throw fail(i + k + 1, "invalid \\u escape") }
            v = v * 16 + d
        }
        i += 4
        return v
    }

    /// Parses a JSON number literal; `nil` when the word is not one.
    static func number(_ w: String) -> JSONValue? {
        let b = Array(w.utf8)
        var i = 0
        func digits() -> Int { let s = i; while i < b.count, (0x30...0x39).contains(b[i]) { i += 1 }; return i - s }
        if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
        let intStart = i
        let n = digits()
        guard n > 0, !(n > 1 && b[intStart] == UInt8(ascii: "0")) else { return nil }
        var integral = true
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1; integral = false
            guard digits() > 0 else { return nil }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1; integral = false
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { return nil }
        }
        guard i == b.count else { return nil }
        if integral, let v = Int64(w) { return .int(v) }
        guard let d = Double(w), d.isFinite else { return nil }
        return .double(d)
    }
}

/// Recursive-descent parser over ``FilterToken``s.
struct FilterParser {
    var tokens: [FilterToken]
    var i = 0
    var depth = 0

    init(tokens: [FilterToken]) { self.tokens = tokens }

    var peek: FilterToken { tokens[i] }
    var peekNext: FilterToken { tokens[min(i + 1, tokens.count - 1)] }

    func isKeyword(_ t: FilterToken, _ k: String) -> Bool {
        if case .word(let w) = t.kind { return w.lowercased() == k }
        return false
    }

    func fail(_ t: FilterToken, expected: String) -> SCIMError {
        FilterLexer.fail(t.position, "expected \(expected) but found \(t.display)")
    }

    mutating func parseWhole() throws(SCIMError) -> SCIMFilter {
        if peek.kind == .end { throw .invalidFilter("The filter is empty.") }
        let f = try parseOr(inValuePath: false)
        guard peek.kind == .end else { throw fail(peek, expected: "'and', 'or' or the end of the filter") }
        return f
    }

    mutating func parseOr(inValuePath: Bool) throws(SCIMError) -> SCIMFilter {
        var left = try parseAnd(inValuePath: inValuePath)
        while isKeyword(peek, "or") {
            i += 1
            left = .or(left, try parseAnd(inValuePath: inValuePath))
        }
        return left
    }

    mutating func parseAnd(inValuePath: Bool) throws(SCIMError) -> SCIMFilter {
        var left = try parseUnary(inValuePath: inValuePath)
        while isKeyword(peek, "and") {
            i += 1
            left = .and(left, try parseUnary(inValuePath: inValuePath))
        }
        return left
    }

    mutating func enter() throws(SCIMError) {
        depth += 1
        if depth > SCIMFilter.maximumDepth {
            throw FilterLexer.fail(peek.position, "nesting deeper than \(SCIMFilter.maximumDepth) levels")
        }
    }

    mutating func parseUnary(inValuePath: Bool) throws(SCIMError) -> SCIMFilter {
        try enter()
        defer { depth -= 1 }
        if isKeyword(peek, "not") {
            if peekNext.kind == .lparen {
                i += 1
                return .not(try parseGroup(inValuePath: inValuePath))
            }
            if case .word(let w) = peekNext.kind, FilterOperator(rawValue: w.lowercased()) == nil, w.lowercased() != "pr" {
                throw fail(peekNext, expected: "'(' after 'not'")
            }
        }
        if peek.kind == .lparen { return try parseGroup(inValuePath: inValuePath) }
        return try parseAttributeExpression(inValuePath: inValuePath)
    }

    mutating func parseGroup(inValuePath: Bool) throws(SCIMError) -> SCIMFilter {
        i += 1 // "("
        let f = try parseOr(inValuePath: inValuePath)
        guard peek.kind == .rparen else { throw fail(peek, expected: "')'") }
        i += 1
        return f
    }

    mutating func parseAttributeExpression(inValuePath: Bool) throws(SCIMError) -> SCIMFilter {
        let t = peek
        guard case .word(let w) = t.kind, let path = AttributePath.parseOrNil(w) else {
            throw fail(t, expected: "an attribute name")
        }
        i += 1
        if peek.kind == .lbracket {
            let bracket = peek
            if inValuePath { throw FilterLexer.fail(bracket.position, "value filters cannot be nested") }
            if path.subAttribute != nil {
                throw FilterLexer.fail(bracket.position, "a value filter must follow a multi-valued attribute name")
            }
            i += 1
            try enter()
            let inner = try parseOr(inValuePath: true)
            depth -= 1
            guard peek.kind == .rbracket else { throw fail(peek, expected: "']'") }
            i += 1
            if case .word(let after) = peek.kind, after.hasPrefix(".") {
                throw FilterLexer.fail(peek.position,
                    "a sub-attribute after ']' is only valid in PATCH paths; use 'attribute.subAttribute op value'")
            }
            return .valuePath(path, inner)
        }
        let opTok = peek
        guard case .word(let opWord) = opTok.kind else { throw fail(opTok, expected: "an operator") }
        let opName = opWord.lowercased()
        i += 1
        if opName == "pr" { return .present(path) }
        guard let op = FilterOperator(rawValue: opName) else {
            throw fail(opTok, expected: "an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)")
        }
        let v = peek
        i += 1
        switch v.kind {
        case .string(let s): return .compare(path, op, .string(s))
        case .word(let lit):
            switch lit.lowercased() {
            case "true": return .compare(path, op, .bool(true))
            case "false": return .compare(path, op, .bool(false))
            case "null": return .compare(path, op, .null)
            default:
                if let n = FilterLexer.number(lit) { return .compare(path, op, n) }
            }
        default: break
        }
        throw fail(v, expected: "a comparison value (string, number, true, false or null)")
    }
}

/// An attribute reference: `[schemaURN ":"] name ["." subAttribute]` (RFC 7644 §3.10).
///
/// For a URN-qualified path the URN is everything up to the last `:` before the attribute name, so
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value` has schemaURN
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`, name `manager`, subAttribute `value`.
/// A bare extension URN parses with the last URN segment as `name`; ``SCIMResourceType/extensionSchema(named:)``
/// recognises it as "the whole extension".
public struct AttributePath: Hashable, Sendable, CustomStringConvertible {
    public var schemaURN: String?
    public var name: String
    public var subAttribute: String?

    public init(schemaURN: String? = nil, name: String, subAttribute: String? = nil) {
        self.schemaURN = schemaURN; self.name = name; self.subAttribute = subAttribute
    }

    /// The path as written on the wire.
    public var description: String {
        var s = schemaURN.map { $0 + ":" } ?? ""
        s += name
        if let subAttribute { s += "." + subAttribute }
        return s
    }

    /// Parses a path.
    /// - Throws: `400 invalidPath` when the text is not an attribute path.
    public static func parse(_ text: String) throws(SCIMError) -> AttributePath {
        guard let p = parseOrNil(text) else {
            throw .invalidPath("'\(text.prefix(80))' is not a valid attribute path.")
        }
        return p
    }

    /// Parses a comma-separated list, as in the `attributes` and `excludedAttributes` query
    /// parameters. Whitespace around items is ignored; empty items are skipped.
    /// - Throws: `400 invalidValue` naming the first item that is not an attribute path.
    public static func parseList(_ text: String) throws(SCIMError) -> [AttributePath] {
        var out: [AttributePath] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let t = item.trimmingCharacters(in: " \t")
            if t.isEmpty { continue }
            guard let p = parseOrNil(t) else {
                throw .invalidValue("'\(t.prefix(80))' is not a valid attribute name.")
            }
            out.append(p)
        }
        return out
    }

    static func parseOrNil(_ text: String) -> AttributePath? {
        guard !text.isEmpty, text.utf8.count <= 1024 else { return nil }
        var urn: String?
        var rest = Substring(text)
        if text.lowercased().hasPrefix("urn:") {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            urn = String(text[..<colon])
            rest = text[text.index(after: colon)...]
            // The URN itself: "urn:" NID ":" NSS, no spaces or brackets.
            guard let u = urn, u.count > 4,
                  u.allSatisfy({ !$0.isWhitespace && !"[]()\"".contains($0) }) else { return nil }
        }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else { return nil }
        guard parts.allSatisfy({ isAttributeName($0) }) else { return nil }
        return AttributePath(schemaURN: urn, name: String(parts[0]), subAttribute: parts.count == 2 ? String(parts[1]) : nil)
    }

    /// `ATTRNAME = ALPHA *(ALPHA / DIGIT / "-" / "_")`, plus the special name `$ref`.
    static func isAttributeName(_ s: Substring) -> Bool {
        if s.lowercased() == "$ref" { return true }
        guard let first = s.unicodeScalars.first, first.isASCIILetter else { return false }
        return s.unicodeScalars.allSatisfy { $0.isASCIILetter || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
    }

    /// Case-insensitive equality of two paths (schema URN, name and sub-attribute).
    public func matches(_ other: AttributePath) -> Bool {
        schemaURN?.lowercased() == other.schemaURN?.lowercased() && name.lowercased() == other.name.lowercased()
            && subAttribute?.lowercased() == other.subAttribute?.lowercased()
    }
}

extension Unicode.Scalar {
    var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}

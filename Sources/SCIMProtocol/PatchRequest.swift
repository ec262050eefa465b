/// A PATCH operation name. Parsed case-insensitively (Entra sends `Add`/`Replace`/`Remove`).
public enum PatchOp: String, Sendable, Hashable, CaseIterable {
    case add, remove, replace

    /// Parses `add`, `remove` or `replace` in any case.
    public init?(parsing text: String) { self.init(rawValue: text.lowercased()) }
}

/// A PATCH path (RFC 7644 §3.5.2): `attrPath`, `attrPath[valFilter]` or `attrPath[valFilter].subAttr`.
///
/// `name.familyName` parses as attribute `name` with `attribute.subAttribute == "familyName"`;
/// `emails[type eq "work"].value` parses as attribute `emails`, filter `type eq "work"` and
/// ``subAttribute`` `value`.
public struct PatchPath: Sendable, Hashable, CustomStringConvertible {
    public var attribute: AttributePath
    /// The value filter between the brackets; its paths are relative to ``attribute``.
    public var filter: SCIMFilter?
    /// The sub-attribute after `]`.
    public var subAttribute: String?

    public init(attribute: AttributePath, filter: SCIMFilter? = nil, subAttribute: String? = nil) {
        self.attribute = attribute; self.filter = filter; self.subAttribute = subAttribute
    }

    public var description: String {
        var s = attribute.description
        if filter != nil { s += "[…]" }
        if let subAttribute { s += "." + subAttribute }
        return s
    }

    /// Parses a PATCH path.
    /// - Throws: `400 invalidPath` when the path is malformed (including a malformed filter).
    public static func parse(_ text: String) throws(SCIMError) -> PatchPath {
        let shown = String(text.prefix(80))
        func bad(_ why: String) -> SCIMError { .invalidPath("Invalid path '\(shown)': \(why).") }
        guard text.utf8.count <= SCIMFilter.maximumLength else { throw .invalidPath("The path is too long.") }
        guard let open = text.firstIndex(of: "[") else {
            guard let p = AttributePath.parseOrNil(text) else { throw bad("not an attribute path") }
            return PatchPath(attribute: p)
        }
        guard let attr = AttributePath.parseOrNil(String(text[..<open])), attr.subAttribute == nil else {
            throw bad("a value filter must follow a multi-valued attribute name")
        }
        // Find the closing bracket outside string literals.
        var i = text.index(after: open)
        var inString = false, escaped = false
        var close: String.Index?
        while i < text.endIndex {
            let c = text[i]
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
            } else if c == "\"" { inString = true }
            else if c == "[" { throw bad("value filters cannot be nested") }
            else if c == "]" { close = i; break }
            i = text.index(after: i)
        }
        guard let close else { throw bad("missing ']'") }
        let filterText = String(text[text.index(after: open)..<close])
        let filter: SCIMFilter
        do { filter = try SCIMFilter.parse(filterText) } catch { throw bad("filter: " + error.detail) }
        let rest = text[text.index(after: close)...]
        var sub: String?
        if !rest.isEmpty {
            guard rest.first == ".", AttributePath.isAttributeName(rest.dropFirst()) else {
                throw bad("only '.subAttribute' may follow ']'")
            }
            sub = String(rest.dropFirst())
        }
        return PatchPath(attribute: attr, filter: filter, subAttribute: sub)
    }
}

/// One PATCH operation.
public struct PatchOperation: Sendable, Hashable {
    public var op: PatchOp
    public var path: PatchPath?
    public var value: JSONValue?

    public init(op: PatchOp, path: PatchPath? = nil, value: JSONValue? = nil) {
        self.op = op; self.path = path; self.value = value
    }
}

/// The PATCH request message (`urn:ietf:params:scim:api:messages:2.0:PatchOp`).
public enum PatchRequest {
    /// The most operations one PATCH may carry (`400 tooMany` beyond). Okta and Entra send a
    /// handful; a client with more changes sends more requests.
    public static let maximumOperations = 1000

    /// Parses and checks a PATCH body: an object whose `schemas` lists the PatchOp URN, with a
    /// non-empty `Operations` array of at most ``maximumOperations`` (else `400 tooMany`; member names
    /// case-insensitive). Each operation needs `op`;
    /// `add`/`replace` need `value` (`400 invalidValue`); `remove` needs `path` (`400 noTarget`);
    /// paths must parse (`400 invalidPath`). Other structural problems are `400 invalidSyntax`.
    public static func parse(_ body: JSONValue) throws(SCIMError) -> [PatchOperation] {
        guard case .object = body else { throw .invalidSyntax("The PATCH body must be a JSON object.") }
        guard let schemas = body.member("schemas")?.value.arrayValue,
              schemas.contains(where: { $0.stringValue?.lowercased() == SCIMSchemaURN.patchOp.lowercased() }) else {
            throw .invalidSyntax("The PATCH body must list the schema \(SCIMSchemaURN.patchOp).")
        }
        guard let list = body.member("Operations")?.value.arrayValue else {
            throw .invalidSyntax("The PATCH body must have an 'Operations' array.")
        }
        guard !list.isEmpty else { throw .invalidSyntax("The 'Operations' array is empty.") }
        guard list.count <= maximumOperations else {
            throw .tooMany("The PATCH carries \(list.count) operations; at most \(maximumOperations) are accepted in one request.")
        }
        var ops: [PatchOperation] = []
        for (n, item) in list.enumerated() {
            let label = "Operation \(n + 1)"
            guard case .object = item else { throw .invalidSyntax("\(label) must be an object.") }
            guard let opText = item.member("op")?.value.stringValue, let op = PatchOp(parsing: opText) else {
                throw .invalidSyntax("\(label): 'op' must be add, remove or replace.")
            }
            var path: PatchPath?
            switch item.member("path")?.value {
            case nil, .null?: path = nil
            case .string(let s)?:
                path = s.isEmpty ? nil : try PatchPath.parse(s)
            default: throw .invalidSyntax("\(label): 'path' must be a string.")
            }
            let value = item.member("value")?.value
            if op != .remove, value == nil {
                throw .invalidValue("\(label): '\(op.rawValue)' requires a 'value'.")
            }
            if op == .remove, path == nil {
                throw .noTarget("\(label): 'remove' requires a 'path'.")
            }
            ops.append(PatchOperation(op: op, path: path, value: value))
        }
        return ops
    }
}

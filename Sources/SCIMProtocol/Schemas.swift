/// An attribute definition (RFC 7643 §2.2 characteristics, §7 representation).
public struct SCIMAttribute: Sendable, Hashable {
    /// The data type of an attribute (RFC 7643 §2.3).
    public enum DataType: String, Sendable, Hashable {
        case string, boolean, decimal, integer, dateTime, reference, complex, binary
    }
    /// Whether and how an attribute may be changed (RFC 7643 §7).
    public enum Mutability: String, Sendable, Hashable { case readOnly, readWrite, immutable, writeOnly }
    /// When an attribute is returned (RFC 7643 §7).
    public enum Returned: String, Sendable, Hashable { case always, never, `default`, request }
    /// Uniqueness scope (RFC 7643 §7).
    public enum Uniqueness: String, Sendable, Hashable { case none, server, global }

    /// The attribute name, in its canonical spelling.
    public var name: String
    /// The data type.
    public var type: DataType
    /// Whether the attribute holds a list.
    public var multiValued: Bool
    /// Whether a resource must carry the attribute.
    public var required: Bool
    /// Whether string comparison (filters, uniqueness) is case-sensitive.
    public var caseExact: Bool
    /// Whether and how the attribute may be changed.
    public var mutability: Mutability
    /// When the attribute is returned.
    public var returned: Returned
    /// The uniqueness scope.
    public var uniqueness: Uniqueness
    /// Sub-attributes of a complex attribute.
    public var subAttributes: [SCIMAttribute]
    /// Suggested values (e.g. `work`, `home`).
    public var canonicalValues: [String]
    /// For references: what they may point to (`User`, `Group`, `external`, `uri`).
    public var referenceTypes: [String]
    /// Human-readable description published in /Schemas.
    public var description: String
    /// For a multi-valued attribute: the most values a resource may hold (`400 invalidValue`
    /// beyond it); nil for no bound of its own (group `members`, which must hold every employee).
    public var maxValues: Int?

    /// The bound on the values of the multi-valued core User attributes (emails, phoneNumbers,
    /// addresses…): generous for any real person, small enough that one request cannot store
    /// thousands of them.
    public static let defaultMaxValues = 100

    /// Creates an attribute definition; defaults follow RFC 7643 §2.2.
    public init(_ name: String, type: DataType = .string, multiValued: Bool = false, required: Bool = false,
                caseExact: Bool = false, mutability: Mutability = .readWrite, returned: Returned = .default,
                uniqueness: Uniqueness = .none, subAttributes: [SCIMAttribute] = [], canonicalValues: [String] = [],
                referenceTypes: [String] = [], description: String = "", maxValues: Int? = nil) {
        self.name = name; self.type = type; self.multiValued = multiValued; self.required = required
        self.maxValues = maxValues
        self.caseExact = caseExact; self.mutability = mutability; self.returned = returned
        self.uniqueness = uniqueness; self.subAttributes = subAttributes; self.canonicalValues = canonicalValues
        self.referenceTypes = referenceTypes; self.description = description
    }

    /// The sub-attribute named `name`, matched case-insensitively.
    public func subAttribute(_ name: String) -> SCIMAttribute? {
        let l = name.lowercased()
        return subAttributes.first { $0.name.lowercased() == l }
    }

    /// `true` when the attribute is complex and has a `value` sub-attribute (emails, members, manager…).
    var hasValueSubAttribute: Bool { type == .complex && subAttribute("value") != nil }

    /// The RFC 7643 §7 representation of this attribute.
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "name": .string(name),
            "type": .string(type.rawValue),
            "multiValued": .bool(multiValued),
            "description": .string(description),
            "required": .bool(required),
            "mutability": .string(mutability.rawValue),
            "returned": .string(returned.rawValue),
        ]
        if type != .complex && type != .boolean && type != .integer && type != .decimal {
            o["caseExact"] = .bool(caseExact)
        }
        if type != .complex && type != .boolean { o["uniqueness"] = .string(uniqueness.rawValue) }
        if !canonicalValues.isEmpty { o["canonicalValues"] = .array(canonicalValues.map(JSONValue.string)) }
        if type == .reference { o["referenceTypes"] = .array(referenceTypes.map(JSONValue.string)) }
        if type == .complex { o["subAttributes"] = .array(subAttributes.map(\.json)) }
        return .object(o)
    }
}

/// A schema definition (RFC 7643 §7): its URN, name, description and attributes. Common attributes
/// (`id`, `externalId`, `meta`) are not listed in a schema; see ``SCIMSchema/commonAttributes``.
public struct SCIMSchema: Sendable, Hashable {
    /// The schema URN.
    public var id: String
    public var name: String
    public var description: String
    public var attributes: [SCIMAttribute]

    public init(id: String, name: String, description: String, attributes: [SCIMAttribute]) {
        self.id = id; self.name = name; self.description = description; self.attributes = attributes
    }

    /// The attribute named `name`, matched case-insensitively.
    public func attribute(_ name: String) -> SCIMAttribute? {
        let l = name.lowercased()
        return attributes.first { $0.name.lowercased() == l }
    }

    /// The `/Schemas/{id}` representation, with `meta.location` = `baseURL/Schemas/{id}`.
    public func json(baseURL: String) -> JSONValue {
        .object([
            "schemas": .array([.string(SCIMSchemaURN.schema)]),
            "id": .string(id),
            "name": .string(name),
            "description": .string(description),
            "attributes": .array(attributes.map(\.json)),
            "meta": .object([
                "resourceType": .string("Schema"),
                "location": .string(joinURL(baseURL, "Schemas", id)),
            ]),
        ])
    }
}

/// Joins a base URL and path segments with single slashes.
func joinURL(_ base: String, _ parts: String...) -> String {
    var s = base
    while s.hasSuffix("/") { s.removeLast() }
    for p in parts { s += "/" + p }
    return s
}

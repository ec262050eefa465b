/// A comparison operator of the filter grammar (RFC 7644 §3.4.2.2). `pr` is ``SCIMFilter/present(_:)``.
public enum FilterOperator: String, Sendable, Hashable, CaseIterable {
    case eq, ne, co, sw, ew, gt, ge, lt, le
}

/// A parsed SCIM filter.
///
/// Inside ``valuePath(_:_:)`` the inner filter's paths are relative to the multi-valued attribute
/// (`emails[type eq "work"]` has inner path `type`).
public indirect enum SCIMFilter: Sendable, Hashable {
    case compare(AttributePath, FilterOperator, JSONValue)
    case present(AttributePath)
    case and(SCIMFilter, SCIMFilter)
    case or(SCIMFilter, SCIMFilter)
    case not(SCIMFilter)
    case valuePath(AttributePath, SCIMFilter)

    /// The attribute and value when the filter is exactly `attr eq "string"` — the shape IdPs use
    /// for existence checks, which the store answers from an index.
    public var simpleEquality: (AttributePath, String)? {
        if case .compare(let p, .eq, .string(let s)) = self { return (p, s) }
        return nil
    }

    /// Checks the filter against a resource type: every attribute must exist, and ordering or
    /// substring operators are refused on booleans and complex attributes.
    /// - Throws: `400 invalidFilter` naming the attribute.
    public func validate(for type: SCIMResourceType) throws(SCIMError) {
        try validate(type: type, parent: nil)
    }

    private func validate(type: SCIMResourceType, parent: ResolvedAttribute?) throws(SCIMError) {
        switch self {
        case .and(let a, let b), .or(let a, let b):
            try a.validate(type: type, parent: parent); try b.validate(type: type, parent: parent)
        case .not(let a): try a.validate(type: type, parent: parent)
        case .present(let p): _ = try Self.definition(p, type: type, parent: parent)
        case .compare(let p, let op, let v):
            let def = try Self.definition(p, type: type, parent: parent)
            switch def.type {
            case .boolean:
                guard op == .eq || op == .ne else {
                    throw .invalidFilter("Operator '\(op.rawValue)' is not supported for boolean attribute '\(p)'.")
                }
            case .complex:
                if !def.hasValueSubAttribute {
                    throw .invalidFilter("Complex attribute '\(p)' cannot be compared; name a sub-attribute.")
                }
            case .binary:
                throw .invalidFilter("Binary attribute '\(p)' cannot be compared.")
            case .integer, .decimal:
                if [.co, .sw, .ew].contains(op) {
                    throw .invalidFilter("Operator '\(op.rawValue)' is not supported for numeric attribute '\(p)'.")
                }
            default: break
            }
            if case .object = v { throw .invalidFilter("Invalid comparison value for '\(p)'.") }
        case .valuePath(let p, let inner):
            guard parent == nil, let r = type.resolve(p), r.subAttribute == nil, r.attribute.type == .complex else {
                throw .invalidFilter("'\(p)' is not a complex attribute and cannot take a value filter.")
            }
            try inner.validate(type: type, parent: r)
        }
    }

    private static func definition(_ p: AttributePath, type: SCIMResourceType,
                                   parent: ResolvedAttribute?) throws(SCIMError) -> SCIMAttribute {
        if let parent {
            if p.schemaURN == nil, p.subAttribute == nil, let s = parent.attribute.subAttribute(p.name) { return s }
            throw .invalidFilter("'\(p)' is not a sub-attribute of '\(parent.attribute.name)'.")
        }
        guard let d = type.attribute(for: p) else { throw .invalidFilter("Unknown attribute '\(p)' in filter.") }
        return d
    }
}

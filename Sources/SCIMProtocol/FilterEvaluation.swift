extension SCIMFilter {
    /// Evaluates the filter against a resource document (core attributes at the top level,
    /// extension attributes under their URN key), following RFC 7644 §3.4.2.2:
    ///
    /// - attribute names are case-insensitive;
    /// - strings compare case-insensitively unless the attribute is `caseExact` (`id`, `externalId`,
    ///   the CoreWeave attributes); `userName` and `displayName` are case-insensitive;
    /// - a multi-valued attribute matches when any element matches; a multi-valued complex attribute
    ///   without a sub-attribute compares its `value` sub-attribute (`members eq "ID"`);
    /// - `ne` is the negation of `eq`, so an absent attribute is "not equal";
    /// - `pr` is true when the attribute is present and not null, `""`, `[]` or `{}`;
    /// - `gt`/`ge`/`lt`/`le` order strings lexicographically (dateTime strings as strings) and numbers
    ///   numerically; booleans support only `eq`/`ne`; `eq null` means "not present".
    public func matches(_ resource: JSONValue, type: SCIMResourceType) -> Bool {
        evaluate(resource, type: type, parent: nil)
    }

    func evaluate(_ doc: JSONValue, type: SCIMResourceType, parent: SCIMAttribute?) -> Bool {
        switch self {
        case .and(let a, let b):
            return a.evaluate(doc, type: type, parent: parent) && b.evaluate(doc, type: type, parent: parent)
        case .or(let a, let b):
            return a.evaluate(doc, type: type, parent: parent) || b.evaluate(doc, type: type, parent: parent)
        case .not(let a):
            return !a.evaluate(doc, type: type, parent: parent)
        case .present(let p):
            let (_, vals) = Self.values(p, in: doc, type: type, parent: parent, forComparison: false)
            return vals.contains { !$0.isUnassigned }
        case .compare(let p, let op, let v):
            let (def, vals) = Self.values(p, in: doc, type: type, parent: parent, forComparison: true)
            if v == .null {
                let present = vals.contains { !$0.isUnassigned }
                switch op {
                case .eq: return !present
                case .ne: return present
                default: return false
                }
            }
            if op == .ne { return !vals.contains { Self.compare($0, .eq, v, def) } }
            return vals.contains { Self.compare($0, op, v, def) }
        case .valuePath(let p, let inner):
            guard parent == nil else { return false }
            let def = type.resolve(p)?.attribute
            guard let raw = Self.container(for: p, in: doc, type: type)?.member(p.name)?.value else { return false }
            let elements = raw.arrayValue ?? [raw]
            return elements.contains { e in
                if case .object = e { return inner.evaluate(e, type: type, parent: def) }
                return false
            }
        }
    }

    /// The object holding the attribute a top-level path names.
    static func container(for p: AttributePath, in doc: JSONValue, type: SCIMResourceType) -> JSONValue? {
        guard let urn = p.schemaURN, !type.isCoreURN(urn) else { return doc }
        return doc.member(urn)?.value
    }

    /// The definition and the (flattened, non-null) values a path selects.
    private static func values(_ p: AttributePath, in doc: JSONValue, type: SCIMResourceType,
                               parent: SCIMAttribute?, forComparison: Bool) -> (SCIMAttribute?, [JSONValue]) {
        var def: SCIMAttribute?
        var attr: SCIMAttribute?
        let raw: JSONValue?
        if let parent {
            // Inside a value filter: the path names a sub-attribute of the element.
            attr = p.schemaURN == nil ? parent.subAttribute(p.name) : nil
            raw = doc.member(p.name)?.value
            if let s = p.subAttribute, let r = raw {
                let inner = (r.arrayValue ?? [r]).compactMap { $0.member(s)?.value }
                return (attr?.subAttribute(s), inner.filter { !$0.isNull })
            }
        } else {
            attr = type.resolve(AttributePath(schemaURN: p.schemaURN, name: p.name))?.attribute
            raw = container(for: p, in: doc, type: type)?.member(p.name)?.value
        }
        guard let raw else { return (attr, []) }
        let elements = raw.arrayValue ?? [raw]
        var out: [JSONValue]
        if parent == nil, let s = p.subAttribute {
            def = attr?.subAttribute(s)
            out = elements.compactMap { $0.member(s)?.value }
            out = out.flatMap { $0.arrayValue ?? [$0] }
        } else if forComparison, attr?.type == .complex || attr == nil {
            // `members eq "ID"`: compare the `value` sub-attribute of complex elements.
            def = attr?.subAttribute("value") ?? attr
            out = elements.map { e in
                if case .object = e { return e.member("value")?.value ?? .null }
                return e
            }
        } else {
            def = attr
            out = elements
        }
        return (def, out.filter { !$0.isNull })
    }

    /// Compares one attribute value with a filter value.
    static func compare(_ a: JSONValue, _ op: FilterOperator, _ b: JSONValue, _ def: SCIMAttribute?) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)):
            let exact = def?.caseExact ?? false
            let l = exact ? x : x.lowercased()
            let r = exact ? y : y.lowercased()
            switch op {
            case .eq: return l == r
            case .ne: return l != r
            case .co: return l.contains(r)
            case .sw: return l.hasPrefix(r)
            case .ew: return l.hasSuffix(r)
            case .gt: return l > r
            case .ge: return l >= r
            case .lt: return l < r
            case .le: return l <= r
            }
        case (.bool(let x), .bool(let y)):
            switch op {
            case .eq: return x == y
            case .ne: return x != y
            default: return false
            }
        case (.string(let x), .bool(let y)) where def?.type == .boolean:
            // A boolean stored as a string ("True") compares as a boolean.
            guard let xb = Bool(x.lowercased()) else { return false }
            return compare(.bool(xb), op, .bool(y), def)
        case (.bool(let x), .string(let y)) where def?.type == .boolean:
            // A filter that quotes the boolean (`active eq "true"`, nsscache's example) compares as one.
            guard let yb = Bool(y.lowercased()) else { return false }
            return compare(.bool(x), op, .bool(yb), def)
        default:
            guard let order = numericOrder(a, b) else { return false }
            switch op {
            case .eq: return order == 0
            case .ne: return order != 0
            case .gt: return order > 0
            case .ge: return order >= 0
            case .lt: return order < 0
            case .le: return order <= 0
            case .co, .sw, .ew: return false
            }
        }
    }

    /// -1, 0 or 1 when both values are numbers.
    private static func numericOrder(_ a: JSONValue, _ b: JSONValue) -> Int? {
        if case .int(let x) = a, case .int(let y) = b { return x < y ? -1 : (x == y ? 0 : 1) }
        guard let x = a.doubleValue, let y = b.doubleValue else { return nil }
        return x < y ? -1 : (x == y ? 0 : 1)
    }
}

/// Applies PATCH operations (RFC 7644 §3.5.2) to a stored resource document and returns the new,
/// normalised document (see ``normalize(_:type:forWrite:)``; read-only attributes such as `id` and
/// `meta` are not part of the result). The function is pure: it either returns the complete new
/// value or throws, so a failing operation never leaves a half-applied resource.
///
/// Semantics:
/// - **add** to a multi-valued attribute appends; an element equal to an existing one is not added
///   again (complex elements are equal when their `value` sub-attributes are). add to a single-valued
///   attribute replaces it; add to a complex single-valued attribute merges sub-attributes.
/// - **replace** replaces the attribute (a multi-valued one entirely: `members` with `[]` empties it);
///   on a complex single-valued attribute it merges the given sub-attributes (RFC 7644 §3.5.2.3).
///   With a value filter it updates the matching elements (the sub-attribute after `]`, or merges
///   the given object into each). When nothing matches and the filter is `attr eq "x"`, add and
///   replace append `{attr: "x", sub: value}` (Entra relies on this); otherwise `400 noTarget`.
/// - **remove** removes the attribute, or the elements a value filter selects (no match is a no-op,
///   so repeated removals are idempotent), or — when a `value` list is given without a filter, as
///   Entra does for `members` — only the listed elements. remove without a path is `400 noTarget`.
/// - **pathless add/replace**: the value must be an object; each key is applied as a path (plain,
///   dotted, URN-qualified, or an extension URN holding an object). `id`, `meta` and `schemas` are
///   ignored, other read-only attributes are ignored when unchanged, unknown keys are ignored.
/// - A path naming a read-only attribute is `400 mutability`; an unknown one is `400 invalidPath`.
public func applyPatch(_ ops: [PatchOperation], to resource: JSONValue, type: SCIMResourceType) throws(SCIMError) -> JSONValue {
    try applyPatch(numbered: ops.enumerated().map { ($0.offset + 1, $0.element) }, of: ops.count, to: resource, type: type)
}

/// ``applyPatch(_:to:type:)`` for some of a request's operations (a caller that handles the
/// others itself): `numbered` pairs each operation with its 1-based position among the `total`
/// of the request, so an error names the operation as the client numbered it.
public func applyPatch(numbered ops: [(Int, PatchOperation)], of total: Int, to resource: JSONValue,
                       type: SCIMResourceType) throws(SCIMError) -> JSONValue {
    guard case .object(let start) = try normalize(resource, type: type, forWrite: false) else {
        throw .invalidSyntax("The resource must be a JSON object.")
    }
    var engine = PatchEngine(doc: start, type: type)
    for (n, op) in ops {
        do { try engine.apply(op) } catch {
            var e = error
            if total > 1 { e.detail = "Operation \(n): " + e.detail }
            throw e
        }
    }
    return try normalize(.object(engine.doc), type: type, forWrite: true)
}

struct PatchEngine {
    var doc: [String: JSONValue]
    let type: SCIMResourceType

    mutating func apply(_ op: PatchOperation) throws(SCIMError) {
        guard let path = op.path else {
            guard op.op != .remove else { throw .noTarget("'remove' requires a 'path'.") }
            try applyPathless(op.op, op.value ?? .null)
            return
        }
        if let ext = type.extensionSchema(named: path.attribute), path.filter == nil, path.subAttribute == nil {
            try applyToExtension(op.op, ext, op.value)
            return
        }
        guard let r = type.resolve(path.attribute) else {
            throw .invalidPath("Unknown attribute '\(path.attribute)'.")
        }
        var sub = r.subAttribute
        if let s = path.subAttribute {
            guard let d = r.attribute.subAttribute(s) else {
                throw .invalidPath("'\(s)' is not a sub-attribute of '\(r.attribute.name)'.")
            }
            sub = d
        }
        if r.attribute.mutability == .readOnly || sub?.mutability == .readOnly {
            throw .mutability("Attribute '\(r.displayName)\(path.subAttribute.map { "." + $0 } ?? "")' is read-only.")
        }
        if let filter = path.filter {
            guard r.attribute.multiValued, r.attribute.type == .complex else {
                throw .invalidPath("'\(r.attribute.name)' is not a multi-valued complex attribute; it cannot take a filter.")
            }
            do { try SCIMFilter.valuePath(AttributePath(schemaURN: path.attribute.schemaURN, name: path.attribute.name),
                                          filter).validate(for: type) }
            catch { throw .invalidPath("Invalid filter in path: \(error.detail)") }
        }
        try applyAt(op.op, r.extensionURN, r.attribute, filter: path.filter, sub: sub, value: op.value)
    }

    // MARK: pathless

    mutating func applyPathless(_ op: PatchOp, _ value: JSONValue) throws(SCIMError) {
        guard case .object(let o) = value else {
            throw .invalidValue("A '\(op.rawValue)' without 'path' needs an object 'value'.")
        }
        for k in o.keys.sorted() {
            if ["id", "meta", "schemas"].contains(k.lowercased()) { continue }
            let v = o[k]!
            if let ext = type.extensionSchema(urn: k) {
                try applyToExtension(op, ext, v)
                continue
            }
            if type.isCoreURN(k), case .object(let inner) = v {
                for k2 in inner.keys.sorted() {
                    guard let p = AttributePath.parseOrNil(k2), p.schemaURN == nil else { continue }
                    try applyKey(op, p, inner[k2]!)
                }
                continue
            }
            guard let p = AttributePath.parseOrNil(k) else { continue }
            try applyKey(op, p, v)
        }
    }

    /// Applies one key of a pathless value (or of an extension object) as if it were a path.
    mutating func applyKey(_ op: PatchOp, _ p: AttributePath, _ v: JSONValue) throws(SCIMError) {
        guard let r = type.resolve(p) else { return }  // unknown keys are ignored, as in POST/PUT
        if r.attribute.mutability == .readOnly || r.subAttribute?.mutability == .readOnly {
            let current = get(r)
            if current == v || (current == nil && v.isUnassigned) { return }
            throw .mutability("Attribute '\(r.displayName)' is read-only.")
        }
        try applyAt(op, r.extensionURN, r.attribute, filter: nil, sub: r.subAttribute, value: v)
    }

    mutating func applyToExtension(_ op: PatchOp, _ ext: SCIMSchema, _ value: JSONValue?) throws(SCIMError) {
        switch op {
        case .remove:
            doc.removeMember(ext.id)
        case .add, .replace:
            guard case .object(let o)? = value else {
                if value?.isNull == true && op == .replace { doc.removeMember(ext.id); return }
                throw .invalidValue("The value for \(ext.id) must be an object.")
            }
            for k in o.keys.sorted() {
                guard var p = AttributePath.parseOrNil(k), p.schemaURN == nil else { continue }
                p.schemaURN = ext.id
                try applyKey(op, p, o[k]!)
            }
        }
    }

    /// The current value a resolved path designates (for read-only comparisons).
    func get(_ r: ResolvedAttribute) -> JSONValue? {
        let c = container(r.extensionURN)
        guard let v = c.scimMember(r.attribute.name)?.value else { return nil }
        if let s = r.subAttribute { return v.member(s.name)?.value }
        return v
    }

    func container(_ ext: String?) -> [String: JSONValue] {
        guard let ext else { return doc }
        return doc.scimMember(ext)?.value.objectValue ?? [:]
    }

    mutating func setContainer(_ ext: String?, _ c: [String: JSONValue]) {
        guard let ext else { doc = c; return }
        doc.removeMember(ext)
        if !c.isEmpty { doc[ext] = .object(c) }
    }

    // MARK: the core

    mutating func applyAt(_ op: PatchOp, _ ext: String?, _ attr: SCIMAttribute, filter: SCIMFilter?,
                          sub: SCIMAttribute?, value: JSONValue?) throws(SCIMError) {
        var c = container(ext)
        let key = attr.name
        let current = c.scimMember(key)?.value
        c.removeMember(key)
        var result: JSONValue? = current

        if let filter {
            var elements = current.map { $0.arrayValue ?? [$0] } ?? []
            let matched = elements.indices.filter { i in
                if case .object = elements[i] { return filter.evaluate(elements[i], type: type, parent: attr) }
                return false
            }
            switch op {
            case .remove:
                if let sub {
                    for i in matched { elements[i] = elements[i].removingMember(sub.name) }
                    elements = elements.filter { !$0.isUnassigned }
                } else {
                    let drop = Set(matched)
                    elements = elements.indices.filter { !drop.contains($0) }.map { elements[$0] }
                }
            case .add, .replace:
                let v = value ?? .null
                if matched.isEmpty {
                    guard case .compare(let fp, .eq, let fv) = filter, fp.schemaURN == nil, fp.subAttribute == nil,
                          let fdef = attr.subAttribute(fp.name) else {
                        throw .noTarget("No value of '\(attr.name)' matches the filter.")
                    }
                    var new: [String: JSONValue] = [fdef.name: fv]
                    if let sub {
                        new[sub.name] = v
                    } else {
                        guard case .object(let vo) = v else {
                            throw .invalidValue("The value for '\(attr.name)[…]' must be an object.")
                        }
                        for (k, x) in vo { new.setMember(k, x) }
                    }
                    elements.append(.object(new))
                } else {
                    for i in matched {
                        if let sub {
                            elements[i] = elements[i].settingMember(sub.name, v)
                        } else {
                            guard case .object(let vo) = v else {
                                throw .invalidValue("The value for '\(attr.name)[…]' must be an object.")
                            }
                            var e = elements[i]
                            for (k, x) in vo { e = e.settingMember(k, x) }
                            elements[i] = e
                        }
                    }
                }
            }
            result = elements.isEmpty ? nil : .array(elements)
        } else if let sub {
            if attr.multiValued {
                var elements = current.map { $0.arrayValue ?? [$0] } ?? []
                switch op {
                case .remove:
                    elements = elements.map { $0.removingMember(sub.name) }.filter { !$0.isUnassigned }
                case .add, .replace:
                    guard !elements.isEmpty else { throw .noTarget("'\(attr.name)' has no values to update.") }
                    elements = elements.map { $0.settingMember(sub.name, value ?? .null) }
                }
                result = elements.isEmpty ? nil : .array(elements)
            } else {
                var obj = current?.objectValue ?? [:]
                switch op {
                case .remove: obj.removeMember(sub.name)
                case .add, .replace: obj.setMember(sub.name, value ?? .null)
                }
                result = obj.isEmpty ? nil : .object(obj)
            }
        } else {
            let v = value ?? .null
            switch op {
            case .remove:
                if attr.multiValued, !v.isUnassigned {
                    let listed = Set((v.arrayValue ?? [v]).map { elementKey($0, attr) })
                    let elements = (current.map { $0.arrayValue ?? [$0] } ?? []).filter { e in
                        !listed.contains(elementKey(e, attr))
                    }
                    result = elements.isEmpty ? nil : .array(elements)
                } else {
                    result = nil
                }
            case .add:
                if attr.multiValued {
                    var elements = current.map { $0.arrayValue ?? [$0] } ?? []
                    var present = Set(elements.map { elementKey($0, attr) })
                    for item in v.arrayValue ?? [v] where !item.isUnassigned {
                        if present.insert(elementKey(item, attr)).inserted { elements.append(item) }
                    }
                    result = elements.isEmpty ? nil : .array(elements)
                } else {
                    result = merged(current, v, attr)
                }
            case .replace:
                if attr.multiValued {
                    result = v.isUnassigned ? nil : .array(v.arrayValue ?? [v])
                } else {
                    result = merged(current, v, attr)
                }
            }
        }
        if let result { c[key] = result }
        setContainer(ext, c)
    }

    /// add/replace on a single-valued attribute: complex objects merge, everything else replaces.
    func merged(_ current: JSONValue?, _ v: JSONValue, _ attr: SCIMAttribute) -> JSONValue? {
        if attr.type == .complex, case .object(var cur)? = current, case .object(let new) = v {
            for (k, x) in new { cur.setMember(k, x) }
            return .object(cur)
        }
        return v
    }
}

extension JSONValue {
    /// A copy of this object with `name` set (replacing case variants); non-objects become objects.
    func settingMember(_ name: String, _ v: JSONValue) -> JSONValue {
        var o = objectValue ?? [:]
        o.setMember(name, v)
        return .object(o)
    }

    /// A copy of this object without `name` (any case).
    func removingMember(_ name: String) -> JSONValue {
        guard var o = objectValue else { return self }
        o.removeMember(name)
        return .object(o)
    }
}

/// Brings a resource document into its canonical stored form.
///
/// Applied to POST and PUT bodies and to PATCH results:
///
/// - the top level must be an object (else `400 invalidSyntax`);
/// - attribute names are renamed to their schema spelling (case-insensitive match);
/// - dotted (`name.givenName`) and URN-qualified (`urn:…:enterprise:2.0:User:department`) top-level keys
///   are folded into place; extension attributes are stored under the extension URN key;
/// - read-only attributes (`id`, `meta`, `groups` of User) are dropped when `forWrite` is true; the
///   write-only `password` is always dropped (never stored);
/// - unknown attributes, sub-attributes and extension URNs are dropped;
/// - `null`, `""`, `[]` and `{}` mean "unassigned" and are removed (Entra clears with `""`);
/// - values are coerced by schema type: booleans from `"true"`/`"false"` in any case, integers from
///   whole doubles (`100001.0`) and decimal digit strings (`"100001"`); a complex attribute with a
///   `value` sub-attribute accepts a bare scalar as `{"value": …}` (Entra's `manager`); a single
///   element where a list is expected becomes a one-element list; duplicate elements are dropped
///   (complex elements with the same `value` count as duplicates);
/// - any other type mismatch is `400 invalidValue` naming the attribute;
/// - `schemas` is rebuilt as the core URN followed by each extension present;
/// - with `forWrite`, required attributes (`userName`, `displayName`) must be present strings.
public func normalize(_ input: JSONValue, type: SCIMResourceType, forWrite: Bool = true) throws(SCIMError) -> JSONValue {
    guard case .object(let object) = input else {
        throw .invalidSyntax("The resource must be a JSON object.")
    }
    var top: [String: JSONValue] = [:]
    var exts: [String: [String: JSONValue]] = [:]

    func place(_ r: ResolvedAttribute, _ value: JSONValue) {
        var dict = r.extensionURN.map { exts[$0] ?? [:] } ?? top
        let key = r.attribute.name
        if let sub = r.subAttribute {
            var obj = dict[key]?.objectValue ?? [:]
            obj.setMember(sub.name, value)
            dict[key] = .object(obj)
        } else if case .object(let new) = value, case .object(var old)? = dict[key] {
            for (k, v) in new { old.setMember(k, v) }
            dict[key] = .object(old)
        } else {
            dict[key] = value
        }
        if let e = r.extensionURN { exts[e] = dict } else { top = dict }
    }

    func placeMembers(of inner: [String: JSONValue], schemaURN: String?) {
        for k in inner.keys.sorted() {
            guard var p = AttributePath.parseOrNil(k), p.schemaURN == nil else { continue }
            p.schemaURN = schemaURN
            if let r = type.resolve(p) { place(r, inner[k]!) }
        }
    }

    // Whole attributes first, then dotted and qualified keys, which refine them.
    let keys = object.keys.sorted()
    for k in keys where !k.contains(".") && !k.lowercased().hasPrefix("urn:") {
        if k.lowercased() == "schemas" { continue }
        guard let p = AttributePath.parseOrNil(k), let r = type.resolve(p) else { continue }
        place(r, object[k]!)
    }
    for k in keys where k.contains(".") || k.lowercased().hasPrefix("urn:") {
        let v = object[k]!
        if let ext = type.extensionSchema(urn: k) {
            guard case .object(let inner) = v else {
                if v.isUnassigned { continue }
                throw .invalidValue("\(ext.id) must be an object.")
            }
            if exts[ext.id] == nil { exts[ext.id] = [:] }
            placeMembers(of: inner, schemaURN: ext.id)
            continue
        }
        if type.isCoreURN(k), case .object(let inner) = v {
            placeMembers(of: inner, schemaURN: nil)
            continue
        }
        guard let p = AttributePath.parseOrNil(k), let r = type.resolve(p) else { continue }
        place(r, v)
    }

    func keep(_ a: SCIMAttribute) -> Bool {
        if a.mutability == .writeOnly || a.returned == .never { return false }
        if forWrite && a.mutability == .readOnly { return false }
        return true
    }

    var out: [String: JSONValue] = [:]
    for a in type.topLevelAttributes where keep(a) {
        if let v = top[a.name], let c = try coerce(v, a, label: a.name) { out[a.name] = c }
    }
    var schemas: [JSONValue] = [.string(type.schema.id)]
    for e in type.extensions {
        guard let raw = exts[e.schema.id] else { continue }
        var eo: [String: JSONValue] = [:]
        for a in e.schema.attributes where keep(a) {
            if let v = raw[a.name], let c = try coerce(v, a, label: a.name) { eo[a.name] = c }
        }
        if !eo.isEmpty {
            out[e.schema.id] = .object(eo)
            schemas.append(.string(e.schema.id))
        }
    }
    out["schemas"] = .array(schemas)

    if forWrite {
        for a in type.schema.attributes where a.required {
            guard case .string = out[a.name] else {
                if let raw = top[a.name], !raw.isUnassigned {
                    throw .invalidValue("\(a.name) must be a string.")
                }
                throw .invalidValue("\(a.name) is required.")
            }
        }
    }
    return .object(out)
}

extension Dictionary where Key == String, Value == JSONValue {
    /// Sets `name`, replacing any key that differs from it only in case.
    mutating func setMember(_ name: String, _ value: JSONValue) {
        removeMember(name)
        self[name] = value
    }

    /// Removes every key equal to `name` ignoring case.
    mutating func removeMember(_ name: String) {
        let l = name.lowercased()
        for k in keys where k.lowercased() == l { removeValue(forKey: k) }
    }
}

/// Coerces a value to an attribute's type; `nil` means unassigned.
func coerce(_ v: JSONValue, _ a: SCIMAttribute, label: String) throws(SCIMError) -> JSONValue? {
    if v.isUnassigned { return nil }
    guard a.multiValued else {
        if case .array = v { throw .invalidValue("\(label) must be a single value, not a list.") }
        return try coerceSingle(v, a, label: label)
    }
    var out: [JSONValue] = []
    var seen = Set<JSONValue>()
    for e in v.arrayValue ?? [v] {
        if case .array = e { throw .invalidValue("\(label) must not contain nested lists.") }
        guard let c = try coerceSingle(e, a, label: label) else { continue }
        if seen.insert(elementKey(c, a)).inserted { out.append(c) }
    }
    if let limit = a.maxValues, out.count > limit {
        throw .invalidValue("\(label) holds \(out.count) values; at most \(limit) are accepted.")
    }
    return out.isEmpty ? nil : .array(out)
}

/// What makes two elements of a multi-valued attribute the same element: complex elements with a
/// `value` compare by it (case-insensitively unless `value` is caseExact), anything else by
/// equality. Used for duplicate removal in sets, so it costs O(1) per element.
func elementKey(_ element: JSONValue, _ attr: SCIMAttribute) -> JSONValue {
    if attr.type == .complex {
        let value = element.member("value")?.value ?? (element.objectValue == nil ? element : nil)
        if let value {
            return .array([.string("value"), sameValueKey(value, caseExact: attr.subAttribute("value")?.caseExact ?? false)])
        }
    }
    return .array([.string("element"), element])
}

/// The comparison key for duplicate detection of complex elements.
func sameValueKey(_ v: JSONValue, caseExact: Bool) -> JSONValue {
    if !caseExact, case .string(let s) = v { return .string(s.lowercased()) }
    return v
}

private func coerceSingle(_ v: JSONValue, _ a: SCIMAttribute, label: String) throws(SCIMError) -> JSONValue? {
    if v.isUnassigned { return nil }
    switch a.type {
    case .string, .reference, .dateTime, .binary:
        guard case .string = v else { throw .invalidValue("\(label) must be a string.") }
        return v
    case .boolean:
        switch v {
        case .bool: return v
        case .string(let s) where s.lowercased() == "true": return .bool(true)
        case .string(let s) where s.lowercased() == "false": return .bool(false)
        default: throw .invalidValue("\(label) must be a boolean.")
        }
    case .integer:
        switch v {
        case .int: return v
        case .double(let d):
            guard let i = d.wholeInt64 else { throw .invalidValue("\(label) must be a whole number.") }
            return .int(i)
        case .string(let s):
            guard isDecimalInteger(s), let i = Int64(s) else { throw .invalidValue("\(label) must be a whole number.") }
            return .int(i)
        default: throw .invalidValue("\(label) must be a whole number.")
        }
    case .decimal:
        switch v {
        case .int, .double: return v
        case .string(let s):
            guard FilterLexer.number(s) != nil, let d = Double(s), d.isFinite else {
                throw .invalidValue("\(label) must be a number.")
            }
            return .double(d)
        default: throw .invalidValue("\(label) must be a number.")
        }
    case .complex:
        switch v {
        case .object(let o):
            var out: [String: JSONValue] = [:]
            for k in o.keys.sorted() {
                guard let sub = a.subAttribute(k) else { continue }
                if let c = try coerce(o[k]!, sub, label: label + "." + sub.name) { out[sub.name] = c }
            }
            return out.isEmpty ? nil : .object(out)
        case .string, .int, .double, .bool:
            guard let valueSub = a.subAttribute("value") else { throw .invalidValue("\(label) must be an object.") }
            return try coerceSingle(v, valueSub, label: label + ".value").map { .object(["value": $0]) }
        default:
            throw .invalidValue("\(label) must be an object.")
        }
    }
}

/// `-?[0-9]+` with at most 19 digits.
private func isDecimalInteger(_ s: String) -> Bool {
    var u = Substring(s)
    if u.first == "-" { u = u.dropFirst() }
    return !u.isEmpty && u.count <= 19 && u.unicodeScalars.allSatisfy { ("0"..."9").contains($0) }
}

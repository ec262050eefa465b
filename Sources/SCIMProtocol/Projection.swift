/// Applies the `attributes` / `excludedAttributes` query parameters (RFC 7644 §3.4.2.5, §3.9).
///
/// - `id` and `schemas` (returned `always`) and, by this service's choice, `meta.resourceType` are
///   always kept;
/// - `attributes` (when non-empty) keeps only the listed attributes, with sub-attribute precision
///   (`name.givenName`, `emails.value`) and extension-qualified names
///   (`urn:…:CoreWeaveUser:sunkPosixUserId`, or the bare extension URN for all of it);
/// - `excludedAttributes` then removes the listed attributes, except those returned `always`;
/// - attributes returned `never` (`password`) are always removed.
///
/// Unknown names are ignored. Names match case-insensitively.
public func project(_ resource: JSONValue, type: SCIMResourceType, attributes: [AttributePath]?,
                    excludedAttributes: [AttributePath]?) -> JSONValue {
    guard case .object(let source) = resource else { return resource }
    var out: [String: JSONValue]

    if let attributes, !attributes.isEmpty {
        out = [:]
        for p in attributes { Projection.include(p, from: source, into: &out, type: type) }
    } else {
        out = source
    }
    for p in excludedAttributes ?? [] { Projection.exclude(p, from: &out, type: type) }

    // returned: never
    for a in type.topLevelAttributes where a.returned == .never { out.removeMember(a.name) }
    for e in type.extensions {
        guard let key = out.scimKey(e.schema.id), var eo = out[key]?.objectValue else { continue }
        for a in e.schema.attributes where a.returned == .never { eo.removeMember(a.name) }
        out[key] = eo.isEmpty ? nil : .object(eo)
    }
    // returned: always
    for name in ["schemas", "id"] {
        if let m = source.scimMember(name) { out[m.key] = m.value }
    }
    if let meta = source.scimMember("meta"), let rt = meta.value.member("resourceType") {
        var mo = out[meta.key]?.objectValue ?? [:]
        mo[rt.key] = rt.value
        out[meta.key] = .object(mo)
    }
    return .object(out)
}

enum Projection {
    /// The key of the object holding `p` (nil for top level) and the attribute name, or nil when the
    /// path names an unknown extension.
    static func location(_ p: AttributePath, in doc: [String: JSONValue], type: SCIMResourceType) -> String?? {
        guard let urn = p.schemaURN, !type.isCoreURN(urn) else { return .some(nil) }
        guard let key = doc.scimKey(urn) else { return nil }
        return .some(key)
    }

    static func include(_ p: AttributePath, from source: [String: JSONValue], into out: inout [String: JSONValue],
                        type: SCIMResourceType) {
        if let ext = type.extensionSchema(named: p) {
            if let m = source.scimMember(ext.id) { out[m.key] = m.value }
            return
        }
        guard let loc = location(p, in: source, type: type) else { return }
        let container: [String: JSONValue]
        if let extKey = loc {
            guard let c = source[extKey]?.objectValue else { return }
            container = c
        } else {
            container = source
        }
        guard let m = container.scimMember(p.name) else { return }
        var picked: JSONValue = m.value
        if let sub = p.subAttribute {
            func pick(_ e: JSONValue) -> JSONValue? {
                guard let sm = e.member(sub) else { return nil }
                return .object([sm.key: sm.value])
            }
            switch m.value {
            case .array(let a): picked = .array(a.compactMap(pick))
            case .object: guard let x = pick(m.value) else { return }; picked = x
            default: return
            }
        }
        if let extKey = loc {
            var eo = out[extKey]?.objectValue ?? [:]
            eo[m.key] = merge(eo[m.key], picked)
            out[extKey] = .object(eo)
        } else {
            out[m.key] = merge(out[m.key], picked)
        }
    }

    /// Merges two projections of the same source value.
    static func merge(_ a: JSONValue?, _ b: JSONValue) -> JSONValue {
        guard let a else { return b }
        switch (a, b) {
        case (.object(var x), .object(let y)):
            for (k, v) in y { x[k] = merge(x[k], v) }
            return .object(x)
        case (.array(let x), .array(let y)) where x.count == y.count:
            return .array(zip(x, y).map { merge($0, $1) })
        default:
            return b
        }
    }

    static func exclude(_ p: AttributePath, from out: inout [String: JSONValue], type: SCIMResourceType) {
        if let ext = type.extensionSchema(named: p) { out.removeMember(ext.id); return }
        if p.schemaURN == nil || type.isCoreURN(p.schemaURN!), p.subAttribute == nil,
           ["id", "schemas"].contains(p.name.lowercased()) { return }
        guard let loc = location(p, in: out, type: type) else { return }
        var container = loc.map { out[$0]?.objectValue ?? [:] } ?? out
        guard let key = container.scimKey(p.name) else { return }
        if let sub = p.subAttribute {
            func drop(_ e: JSONValue) -> JSONValue? {
                guard case .object(var o) = e else { return e }
                o.removeMember(sub)
                return o.isEmpty ? nil : .object(o)
            }
            switch container[key]! {
            case .array(let a):
                let kept = a.compactMap(drop)
                container[key] = kept.isEmpty ? nil : .array(kept)
            case let v: container[key] = drop(v)
            }
        } else {
            container.removeValue(forKey: key)
        }
        if let extKey = loc {
            out[extKey] = container.isEmpty ? nil : .object(container)
        } else {
            out = container
        }
    }
}

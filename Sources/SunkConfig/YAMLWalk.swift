// The file's structure, checked on Yams's node tree before any value is read: known keys only,
// each with the right shape, and the line of every key (for messages).
import SunkStore
import Yams

/// Checks the file's structure: known keys only, each with the right shape; records where each key
/// is (for messages), the org names, and the `groupNameMappings` maps.
struct YAMLWalk {
    var file = "config.yaml"
    var problems: [ConfigProblem] = []
    var lines: [String: Int] = [:]
    var badShape: Set<String> = []
    var orgNames: [String] = []
    var maps: [String: [String: String]] = [:]

    func location(_ key: String) -> String? { lines[key].map { "\(file) line \($0)" } }

    mutating func problem(_ key: String, _ message: String) {
        problems.append(ConfigProblem(key: key, message: message, source: location(key)))
    }

    mutating func root(_ node: Node) {
        guard let mapping = node.mapping else {
            if !isNull(node) { problem("(file)", "the top level must be a mapping of sections (server, database, orgs, node)") }
            return
        }
        section(mapping, path: [])
    }

    private func isNull(_ node: Node) -> Bool {
        guard let scalar = node.scalar else { return false }
        return scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null"
    }

    private mutating func section(_ mapping: Node.Mapping, path: [String]) {
        for (keyNode, value) in mapping {
            guard let name = keyNode.scalar?.string else {
                problem((path + ["?"]).joined(separator: "."), "keys must be plain names")
                continue
            }
            let full = path + [name]
            let dotted = full.joined(separator: ".")
            lines[dotted] = keyNode.mark?.line ?? value.mark?.line
            if path == ["orgs"] {
                do throws(StoreError) { try OrgName.validate(name) } catch {
                    problem(dotted, "\(error)")
                    continue
                }
                orgNames.append(name)
                if isNull(value) { continue }
                guard let org = value.mapping else { problem(dotted, "must be a mapping with a policy section"); continue }
                section(org, path: full)
            } else if path.count == 2 && path[0] == "orgs" {
                guard name == "policy" else { problem(dotted, "unknown key; allowed here: policy"); continue }
                if isNull(value) { continue }
                guard let policy = value.mapping else { problem(dotted, "must be a mapping of policy keys"); continue }
                section(policy, path: full)
            } else if path.count == 3 && path[0] == "orgs" && path[2] == "policy" {
                guard let kind = ConfigSchema.policy[name] else {
                    problem(dotted, "unknown key; allowed here: " + ConfigSchema.policyNames.joined(separator: ", "))
                    continue
                }
                leaf(value, kind: kind, key: dotted)
            } else if ConfigSchema.sections.contains(dotted) {
                if isNull(value) { continue }
                guard let inner = value.mapping else { problem(dotted, "must be a mapping (a section)"); continue }
                section(inner, path: full)
            } else if let kind = ConfigSchema.fixed[dotted] {
                leaf(value, kind: kind, key: dotted)
            } else {
                problem(dotted, "unknown key; allowed here: " + allowed(below: path).joined(separator: ", "))
            }
        }
    }

    private func allowed(below path: [String]) -> [String] {
        let prefix = path.isEmpty ? "" : path.joined(separator: ".") + "."
        var names = Set<String>()
        for key in Array(ConfigSchema.fixed.keys) + Array(ConfigSchema.sections) where key.hasPrefix(prefix) {
            if let first = key.dropFirst(prefix.count).split(separator: ".").first { names.insert(String(first)) }
        }
        return names.sorted()
    }

    private mutating func leaf(_ value: Node, kind: ConfigKind, key: String) {
        let ok: Bool
        switch kind {
        case .string, .integer, .boolean, .idRange:
            if isNull(value) {
                problem(key, "has no value (remove the key to use the default)")
                badShape.insert(key)
                return
            }
            ok = value.scalar != nil
        case .stringList:
            ok = value.sequence.map { $0.allSatisfy { $0.scalar != nil } } ?? false
        case .stringMap:
            if let mapping = value.mapping {
                var map: [String: String] = [:]
                var good = true
                for (k, v) in mapping {
                    if let ks = k.scalar?.string, let vs = v.scalar?.string { map[ks] = vs } else { good = false }
                }
                if good { maps[key] = map }
                ok = good
            } else {
                ok = false
            }
        }
        if !ok {
            problem(key, "must be \(kind.yamlShape)")
            badShape.insert(key)
        }
    }
}

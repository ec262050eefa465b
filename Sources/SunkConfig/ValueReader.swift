// Values as the layered reader (environment over file) gives them, parsed by the same rules the
// CLI flags and the SCIM API use, each problem tied to where its value came from.
import Configuration
import Foundation
import SunkModel

/// Reads values through the layered `ConfigReader` and parses them, recording problems with
/// where the value came from.
struct ValueReader {
    let reader: ConfigReader
    let walk: YAMLWalk
    let environment: [String: String]
    var problems: [ConfigProblem] = []

    func source(_ key: String) -> String? {
        let name = ConfigSchema.environmentName(key)
        if environment.keys.contains(where: { $0.uppercased() == name }) { return "environment variable \(name)" }
        return walk.location(key)
    }

    mutating func problem(_ key: String, _ message: String) {
        problems.append(ConfigProblem(key: key, message: message, source: source(key)))
    }

    private func configKey(_ key: String) -> ConfigKey { ConfigKey(key.split(separator: ".").map(String.init)) }

    /// Nil when unset or when the file's value has the wrong shape (already reported).
    func string(_ key: String) -> String? {
        if walk.badShape.contains(key) && source(key) == walk.location(key) { return nil }
        guard let value = reader.string(forKey: configKey(key)) else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : trimmed
    }

    mutating func integer(_ key: String) -> Int? {
        guard let text = string(key) else { return nil }
        do throws(RuleViolation) { return try PolicyField.parseInteger(text) } catch {
            problem(key, error.reason)
            return nil
        }
    }

    mutating func boolean(_ key: String) -> Bool? {
        guard let text = string(key) else { return nil }
        do throws(RuleViolation) { return try PolicyField.parseBoolean(text) } catch {
            problem(key, error.reason)
            return nil
        }
    }

    func list(_ key: String) -> [String]? {
        if walk.badShape.contains(key) && source(key) == walk.location(key) { return nil }
        return reader.stringArray(forKey: configKey(key))?
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// `orgs.<org>.policy`: each `PolicyField` under its name or one of its earlier spellings,
    /// parsed by the field.
    mutating func policy(org: String) -> PolicyPatch {
        var patch = PolicyPatch()
        for field in PolicyField.all {
            let given = field.spellings.filter { isGiven(ConfigSchema.policyPrefix(org) + $0) }
            if given.count > 1 {
                problem(ConfigSchema.policyPrefix(org) + given[1],
                        "sets the same field as " + ConfigSchema.policyPrefix(org) + given[0] + "; keep one")
            }
            guard let spelling = given.first else { continue }
            let key = ConfigSchema.policyPrefix(org) + spelling
            let input: PolicyInput?
            switch field.kind {
            case .stringList: input = list(key).map(PolicyInput.list)
            case .stringMap: input = walk.maps[key].map(PolicyInput.map)
            default: input = string(key).map(PolicyInput.text)
            }
            guard let input else { continue }
            do throws(RuleViolation) { try field.set(input, in: &patch) } catch {
                problem(key, error.reason)
            }
        }
        return patch
    }

    /// True when the file or the environment has `key`.
    private func isGiven(_ key: String) -> Bool {
        walk.lines[key] != nil || source(key) != nil
    }

    /// The key, as the configuration spells it, for a `Policy.validate()` attribute such as
    /// `policy.userIDRange`: `orgs.<org>.policy.uidRange` when the file used that spelling.
    func policyKey(org: String, attribute: String) -> String {
        guard let field = PolicyField.forAttribute(attribute) else { return ConfigSchema.policyPrefix(org) + attribute }
        let spelling = field.spellings.first { isGiven(ConfigSchema.policyPrefix(org) + $0) } ?? field.name
        return ConfigSchema.policyPrefix(org) + spelling
    }
}

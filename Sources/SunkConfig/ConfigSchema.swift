// Every key of /etc/sunk-bridge/config.yaml and its kind (policy keys come from `PolicyField.all`).
import SunkModel

/// The shape a value must have in the YAML file.
public enum ConfigKind: Sendable, Equatable {
    case string, integer, boolean, idRange, stringList, stringMap

    /// How `config check` names the shape in "must be …".
    public var yamlShape: String {
        switch self {
        case .string, .integer, .boolean, .idRange: return "a single value"
        case .stringList: return "a list"
        case .stringMap: return "a mapping of names to names"
        }
    }
}

/// The keys the configuration file may hold, and how each one is spelled in the environment.
public enum ConfigSchema {
    /// Sections and leaves outside `orgs`, by their dotted key.
    public static let fixed: [String: ConfigKind] = [
        "server.listen": .string,
        "server.publicURL": .string,
        "server.tls.cert": .string,
        "server.tls.key": .string,
        "server.maxBodyBytes": .integer,
        "database.path": .string,
        "database.url": .string,
        "node.root": .string,
        "node.nssFormat": .string,
        "node.maxDeletePercent": .integer,
        "node.createHomes": .boolean,
        "node.homePrefixes": .stringList,
        "node.from": .string,
        "node.tokenFile": .string,
        "node.caFile": .string,
        "node.trustKeyFile": .string,
        "node.sudoGroups": .stringList,
        "node.sudoNoPassword": .boolean,
        "node.terminateSessions": .boolean,
        "node.onLockExec": .string,
        "node.onLockTimeout": .integer,
        "slurm.accounts.groupPrefix": .string,
        "slurm.accounts.map": .stringMap,
        "slurm.accounts.parent": .string,
        "slurm.accounts.defaultAccount": .string,
        "slurm.onRemove": .string,
        "slurm.cancelJobs": .boolean,
        "slurm.cluster": .string,
        "slurm.maxDeletePercent": .integer,
    ]

    /// Keys below `orgs.<name>.policy.`: every `PolicyField` by its name and earlier spellings.
    public static let policy: [String: ConfigKind] = {
        var keys: [String: ConfigKind] = [:]
        for field in PolicyField.all {
            let kind: ConfigKind
            switch field.kind {
            case .idRange: kind = .idRange
            case .string, .choice: kind = .string
            case .integer: kind = .integer
            case .boolean: kind = .boolean
            case .stringList: kind = .stringList
            case .stringMap: kind = .stringMap
            }
            for spelling in field.spellings { keys[spelling] = kind }
        }
        return keys
    }()

    /// The policy keys `unknown key` suggests: the fields' names.
    public static var policyNames: [String] { PolicyField.all.map(\.name).sorted() }

    /// `orgs.<org>.policy.`, the prefix of an org's policy keys.
    public static func policyPrefix(_ org: String) -> String { "orgs.\(org).policy." }

    /// The sections that may hold other keys.
    public static let sections: Set<String> = ["server", "server.tls", "database", "node", "orgs", "slurm", "slurm.accounts"]

    /// The environment variable that overrides a key: `SUNK_BRIDGE_` + the key's words in upper
    /// case joined by `_` (camelCase splits: `server.maxBodyBytes` → `SUNK_BRIDGE_SERVER_MAX_BODY_BYTES`).
    public static func environmentName(_ key: String) -> String {
        var words: [String] = ["SUNK", "BRIDGE"]
        for component in key.split(separator: ".") {
            var word = ""
            var previous: Character?
            for ch in component {
                if let p = previous, p.isLowercase, ch.isUppercase { word.append("_") }
                word.append(ch.isLetter || ch.isNumber ? Character(ch.uppercased()) : "_")
                previous = ch
            }
            words.append(word)
        }
        return words.joined(separator: "_")
    }
}

// Reads /etc/sunk-bridge/config.yaml (or --config / $SUNK_BRIDGE_CONFIG) with swift-configuration,
// layered under the SUNK_BRIDGE_* environment variables; command-line flags win over both (each
// command applies its own flags). Structure and every value are checked here, so `config check`,
// `serve` and `sync` report the same problems, each with the key it concerns.
#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import ArgumentParser
import Configuration
import Foundation
import NodeSync
import SlurmSync
import SunkSnapshot
import SCIMServer
import SunkModel
import SunkStore
import SystemPackage
import Yams

/// One thing wrong with the configuration, tied to its key.
struct ConfigProblem: Equatable, Sendable, CustomStringConvertible {
    var key: String
    var message: String
    /// `config.yaml line 12` or `environment variable SUNK_BRIDGE_…`.
    var source: String?

    var description: String { "\(key): \(message)" + (source.map { " (\($0))" } ?? "") }
}

/// The configuration after file and environment, before flags. Nil means "not configured".
struct SunkConfiguration: Sendable {
    /// The file that was read (nil when the default file does not exist).
    var path: String?
    var listen: String?
    var publicURL: String?
    var tlsCert: String?
    var tlsKey: String?
    var maxBodyBytes: Int?
    var databasePath: String?
    /// Orgs named in the file, sorted by name.
    /// Their `orgs.<name>.policy` keys; absent ones leave the org's policy as it is.
    var orgs: [(name: String, policy: PolicyPatch)] = []
    var nodeRoot: String?
    var nodeNSSFormat: String?
    var nodeMaxDeletePercent: Int?
    var nodeCreateHomes: Bool?
    /// The node's own home prefixes (`sync --home-prefix`); nil leaves the default `/home`.
    var nodeHomePrefixes: [String]?
    var nodeFrom: String?
    var nodeTokenFile: String?
    var nodeCAFile: String?
    var nodeTrustKeyFile: String?
    /// Groups granted sudo in /etc/sudoers.d/sunk-bridge (`sync --sudo-group`); nil or empty: none.
    var nodeSudoGroups: [String]?
    /// `sync --sudo-nopasswd`.
    var nodeSudoNoPassword: Bool?
    /// `sync --terminate-sessions`.
    var nodeTerminateSessions: Bool?
    /// `sync --on-lock-exec` (a command line, split on spaces).
    var nodeOnLockExec: String?
    /// `sync --on-lock-timeout`.
    var nodeOnLockTimeout: Int?
    /// `slurm sync`: which groups become accounts and what happens to users who leave.
    var slurmGroupPrefix: String?
    var slurmMaps: [String: String]?
    var slurmParent: String?
    var slurmDefaultAccount: String?
    var slurmOnRemove: String?
    var slurmCancelJobs: Bool?
    var slurmCluster: String?
    var slurmMaxDeletePercent: Int?
    var problems: [ConfigProblem] = []
    /// Where `server.tls.cert` and `server.tls.key` came from (file line or environment variable).
    var sources: [String: String] = [:]

    /// Prints the problems on stderr and exits 1 when any concerns this command (`ignoring` names
    /// key prefixes that only warn, e.g. `node.` for `serve`).
    func requireValid(command: String, ignoring ignored: [String] = []) throws {
        try requireValid(command: command) { p in !ignored.contains(where: { p.key.hasPrefix($0) }) }
    }

    /// Prints the problems on stderr and exits 1 when any is `fatal`; the others are warnings.
    func requireValid(command: String, fatal: (ConfigProblem) -> Bool) throws {
        let errors = problems.filter(fatal)
        for problem in problems where !fatal(problem) {
            printError("sunk-bridge \(command): warning: configuration: \(problem)")
        }
        guard !errors.isEmpty else { return }
        for problem in errors { printError("sunk-bridge \(command): configuration: \(problem)") }
        printError("sunk-bridge \(command): fix the configuration (`sunk-bridge config check` explains each error)")
        throw ExitCode.failure
    }
}

enum ConfigLoader {
    static let defaultPath = "/etc/sunk-bridge/config.yaml"

    /// `--config` flag, else `$SUNK_BRIDGE_CONFIG`, else the default path (which may be absent).
    static func locate(flag: String?, environment: [String: String]) -> (path: String, explicit: Bool) {
        if let flag, !flag.isEmpty { return (flag, true) }
        if let env = environment["SUNK_BRIDGE_CONFIG"], !env.isEmpty { return (env, true) }
        return (defaultPath, false)
    }

    static func load(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) async
        -> SunkConfiguration
    {
        var config = SunkConfiguration()
        let (path, explicit) = locate(flag: flag, environment: environment)
        var walk = YAMLWalk()
        var fileProvider: (any ConfigProvider)?

        switch readConfigFile(path) {
        case .missing where !explicit:
            break
        case .missing:
            config.problems.append(ConfigProblem(key: "(file)", message: "\(path) does not exist"))
        case .unreadable(let reason):
            config.problems.append(ConfigProblem(key: "(file)", message: "\(path) cannot be read: \(reason)"))
        case .contents(let text, let mode):
            config.path = path
            if mode & 0o022 != 0 {
                config.problems.append(ConfigProblem(
                    key: "(file)",
                    message: "\(path) is writable by group or others (mode 0\(String(mode & 0o7777, radix: 8))); run chmod go-w \(path)"))
            }
            var parsed: Node?
            do {
                parsed = try Yams.Parser(yaml: text).singleRoot()
            } catch {
                config.problems.append(ConfigProblem(key: "(file)", message: "\(path) is not valid YAML: \(error)"))
            }
            if let root = parsed {
                walk.file = (path as NSString).lastPathComponent
                walk.root(root)
                if root.mapping != nil {
                    do {
                        fileProvider = try await FileProvider<YAMLSnapshot>(filePath: FilePath(path))
                    } catch let error where walk.problems.isEmpty {
                        config.problems.append(ConfigProblem(key: "(file)", message: "\(path) cannot be read: \(error)"))
                    } catch {
                        // A shape the walk has already reported (e.g. a list of mappings).
                    }
                }
            }
        }
        config.problems += walk.problems

        let environmentProvider = EnvironmentVariablesProvider(environmentVariables: environment)
            .prefixKeys(with: ConfigKey(["sunkBridge"]))
        let reader = ConfigReader(providers: [environmentProvider] + (fileProvider.map { [$0] } ?? []))
        var values = ValueReader(reader: reader, walk: walk, environment: environment)

        config.listen = values.string("server.listen")
        if let listen = config.listen, ServerConfiguration.parseListen(listen) == nil {
            values.problem("server.listen", "\(quoted(listen)) must look like 127.0.0.1:8080, [::1]:8443 or :8443")
        }
        config.publicURL = values.string("server.publicURL")
        if let url = config.publicURL, let reason = ServerConfiguration.publicURLProblem(url) {
            values.problem("server.publicURL", "\(quoted(url)) \(reason)")
        }
        config.tlsCert = values.string("server.tls.cert")
        config.tlsKey = values.string("server.tls.key")
        for key in ["server.tls.cert", "server.tls.key"] { config.sources[key] = values.source(key) }
        if (config.tlsCert == nil) != (config.tlsKey == nil) {
            let missing = config.tlsCert == nil ? "server.tls.cert" : "server.tls.key"
            let given = config.tlsCert == nil ? "server.tls.key" : "server.tls.cert"
            values.problems.append(ConfigProblem(
                key: missing, message: "missing: \(given) is set; give both the certificate and the key, or neither",
                source: values.source(given)))
        }
        config.maxBodyBytes = values.integer("server.maxBodyBytes")
        if let max = config.maxBodyBytes, max < 1024 {
            values.problem("server.maxBodyBytes", "\(max) is too small: at least 1024")
        }
        config.databasePath = values.string("database.path")
        if let db = config.databasePath, !db.hasPrefix("/") {
            values.problem("database.path", "\(quoted(db)) must be an absolute path")
        }

        config.nodeRoot = values.string("node.root")
        config.nodeNSSFormat = values.string("node.nssFormat")
        if let format = config.nodeNSSFormat, NSSFormat(rawValue: format) == nil {
            values.problem("node.nssFormat", "\(quoted(format)) must be extrausers or cache")
        }
        config.nodeMaxDeletePercent = values.integer("node.maxDeletePercent")
        if let percent = config.nodeMaxDeletePercent, !(0...100).contains(percent) {
            values.problem("node.maxDeletePercent", "\(percent) must be between 0 and 100")
        }
        config.nodeCreateHomes = values.boolean("node.createHomes")
        config.nodeHomePrefixes = values.list("node.homePrefixes")
        if let prefixes = config.nodeHomePrefixes {
            if prefixes.isEmpty {
                values.problem("node.homePrefixes", "is empty: give at least one prefix, or remove the key for /home")
            }
            for prefix in prefixes {
                do throws(RuleViolation) {
                    _ = try PosixRules.homePrefix(prefix, attribute: "node.homePrefixes")
                } catch {
                    values.problem("node.homePrefixes", error.reason)
                }
            }
        }
        config.nodeFrom = values.string("node.from")
        if let from = config.nodeFrom {
            do throws(SyncError) { try HTTPSnapshotSource.check(url: from) } catch {
                values.problem("node.from", "\(error)")
            }
        }
        config.nodeTokenFile = values.string("node.tokenFile")
        config.nodeCAFile = values.string("node.caFile")
        config.nodeTrustKeyFile = values.string("node.trustKeyFile")
        if let trust = config.nodeTrustKeyFile {
            do throws(SnapshotError) { _ = try TrustedKeys.load(path: trust) } catch {
                values.problem("node.trustKeyFile", "\(error)")
            }
        }
        config.nodeSudoGroups = values.list("node.sudoGroups")
        for group in config.nodeSudoGroups ?? [] {
            do throws(RuleViolation) {
                _ = try Sudoers.validateGroupName(group, attribute: "node.sudoGroups")
            } catch {
                values.problem("node.sudoGroups", error.reason)
            }
        }
        config.nodeSudoNoPassword = values.boolean("node.sudoNoPassword")
        config.nodeTerminateSessions = values.boolean("node.terminateSessions")
        config.nodeOnLockExec = values.string("node.onLockExec")
        if let command = config.nodeOnLockExec, !(command.split(separator: " ").first?.hasPrefix("/") ?? false) {
            values.problem("node.onLockExec", "must start with an absolute path to the program")
        }
        config.nodeOnLockTimeout = values.integer("node.onLockTimeout")

        config.slurmGroupPrefix = values.string("slurm.accounts.groupPrefix")
        config.slurmMaps = walk.maps["slurm.accounts.map"]
        config.slurmParent = values.string("slurm.accounts.parent")
        config.slurmDefaultAccount = values.string("slurm.accounts.defaultAccount")
        config.slurmOnRemove = values.string("slurm.onRemove")
        config.slurmCancelJobs = values.boolean("slurm.cancelJobs")
        config.slurmCluster = values.string("slurm.cluster")
        config.slurmMaxDeletePercent = values.integer("slurm.maxDeletePercent")
        if let percent = config.slurmMaxDeletePercent, !(0...100).contains(percent) {
            values.problem("slurm.maxDeletePercent", "\(percent) must be between 0 and 100")
        }
        if let removal = config.slurmOnRemove, SlurmRemoval(rawValue: removal) == nil {
            values.problem("slurm.onRemove", "\(quoted(removal)) must be block or delete")
        }
        if config.slurmGroupPrefix != nil || config.slurmMaps != nil || config.slurmDefaultAccount != nil
            || config.slurmParent != nil || config.slurmCluster != nil {
            let rules = SlurmAccountRules(groupPrefix: config.slurmGroupPrefix, maps: config.slurmMaps ?? [:],
                                          parent: config.slurmParent ?? "root",
                                          defaultAccount: config.slurmDefaultAccount, cluster: config.slurmCluster)
            do throws(SlurmSyncError) { try rules.validate() } catch {
                values.problem("slurm.accounts", error.description)
            }
        }

        for org in walk.orgNames.sorted() {
            let patch = values.policy(org: org)
            config.orgs.append((org, patch))
            do throws(RuleViolation) {
                try patch.applied(to: .default).validate()
            } catch {
                values.problem(values.policyKey(org: org, attribute: error.attribute), error.reason)
            }
        }
        config.problems += values.problems
        return config
    }

    enum FileRead { case missing, unreadable(String), contents(String, mode_t) }

    static func readConfigFile(_ path: String) -> FileRead {
        var info = stat()
        if stat(path, &info) != 0 {
            return errno == ENOENT ? .missing : .unreadable(String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return .unreadable("not a regular file") }
        guard let data = FileManager.default.contents(atPath: path) else { return .unreadable("permission denied") }
        guard let text = String(data: data, encoding: .utf8) else { return .unreadable("not UTF-8 text") }
        return .contents(text, info.st_mode)
    }

    static func quoted(_ text: String) -> String { "\"\(text)\"" }
}

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

import ArgumentParser
import SunkModel
import SunkStore

/// `sunk-bridge org`: the "Cloud Console" side of the Okta guide — orgs, their switches and policy.
struct OrgCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "org", abstract: "Create, list and configure orgs.",
        subcommands: [Create.self, List.self, Set.self, Show.self, TrustKey.self, RotateSigningKey.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an org (its SCIM base URL is /scim/ORG).")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Org name: a–z, 0–9 and '-'.") var name: String

        func run() async throws {
            let db = try SunkDatabase(path: await database.resolvedPath(command: "org create"))
            let org = try db.createOrg(name)
            say("created org \(org.name) (SCIM API on, provisioning on)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List orgs.")
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let db = try await database.open(command: "org list")
            let rows = try db.orgs().map { org in
                [org.name, org.scimAPI ? "on" : "off", org.provisioning ? "on" : "off", "\(org.serial)", org.changedAt]
            }
            say(Table.render(header: ["ORG", "SCIM-API", "PROVISIONING", "SERIAL", "CHANGED"], rows: rows))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an org's switches and policy.")
        @OptionGroup var database: DatabaseOptions
        @Argument var name: String

        func run() async throws {
            let org = try await database.open(command: "org show").org(named: name)
            say(OrgDescription.render(org))
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an org's switches and policy. Takes effect on a running server at once.")
        @OptionGroup var database: DatabaseOptions
        @Argument var name: String
        @Option(name: .customLong("scim-api"), help: "on|off: off answers the IdP-facing SCIM API with 403.")
        var scimAPI: Switch?
        @Option(help: "on|off: off keeps accepting SCIM writes but freezes what nodes receive.")
        var provisioning: Switch?
        @Option(name: .customLong("uid-range"), help: "Allowed uids, LOW-HIGH.") var uidRange: String?
        @Option(name: .customLong("gid-range"), help: "Allowed gids, LOW-HIGH.") var gidRange: String?
        @Option(name: .customLong("allocated-uid-range"), help: "Range uids are allocated from, LOW-HIGH.")
        var allocatedUIDRange: String?
        @Option(name: .customLong("allocated-gid-range"), help: "Range gids are allocated from, LOW-HIGH.")
        var allocatedGIDRange: String?
        @Option(name: .customLong("home-prefix"), help: "Allowed home prefix (repeat for several).")
        var homePrefixes: [String] = []
        @Option(name: .customLong("shell"), help: "Allowed login shell (repeat; replaces the allowlist).")
        var shells: [String] = []
        @Option(name: .customLong("default-shell")) var defaultShell: String?
        @Option(name: .customLong("reserved-user-name"), help: "Reserved user name (repeat; replaces the list).")
        var reservedUserNames: [String] = []
        @Option(name: .customLong("reserved-group-name"), help: "Reserved group name (repeat; replaces the list).")
        var reservedGroupNames: [String] = []
        @Option(name: .customLong("legacy-console-groups"),
                help: "on|off: also reserve the legacy CoreWeave console groups metrics, read, write, billing_viewer.")
        var legacyConsoleGroups: Switch?
        @Option(name: .customLong("map-group"), help: "DERIVED=POSIX: map a derived group name to another POSIX name (repeat).")
        var groupMappings: [String] = []
        @Option(help: "lock|remove: what deactivated users become on nodes.") var deactivation: DeactivationPolicy?
        @Option(name: .customLong("key-options"), help: "authorized_keys options put before every key, e.g. restrict ('' clears).")
        var keyOptions: String?
        @Flag(help: "Apply a policy that refuses stored users or groups: they become \"not exported\" (with the reason) instead of the change being refused.")
        var force = false

        func run() async throws {
            let db = try await database.open(command: "org set")
            var policy = try await db.org(named: name).policy
            if let uidRange { policy.userIDRange = try RangeArgument.parse(uidRange, "--uid-range") }
            if let gidRange { policy.groupIDRange = try RangeArgument.parse(gidRange, "--gid-range") }
            if let allocatedUIDRange { policy.allocatedUserIDRange = try RangeArgument.parse(allocatedUIDRange, "--allocated-uid-range") }
            if let allocatedGIDRange { policy.allocatedGroupIDRange = try RangeArgument.parse(allocatedGIDRange, "--allocated-gid-range") }
            if !homePrefixes.isEmpty { policy.homePrefixes = homePrefixes }
            if !shells.isEmpty { policy.shells = shells }
            if let defaultShell { policy.defaultShell = defaultShell }
            if !reservedUserNames.isEmpty { policy.reservedUserNames = reservedUserNames }
            if !reservedGroupNames.isEmpty { policy.reservedGroupNames = reservedGroupNames }
            if let legacyConsoleGroups { policy.reserveLegacyConsoleGroups = legacyConsoleGroups.isOn }
            for mapping in groupMappings {
                let parts = mapping.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ValidationError("--map-group takes DERIVED=POSIX, got \(mapping)") }
                policy.groupNameMappings[parts[0]] = parts[1].isEmpty ? nil : parts[1]
            }
            if let deactivation { policy.deactivation = deactivation }
            if let keyOptions { policy.keyOptions = keyOptions.isEmpty ? nil : keyOptions }
            do { try policy.validate() } catch { throw ValidationError("policy refused: \(error)") }
            let stranded = try db.policyRefusals(org: name, policy: policy)
            let org: Org
            do {
                org = try db.updateOrg(
                    name, scimAPI: scimAPI?.isOn, provisioning: provisioning?.isOn, policy: policy, force: force)
            } catch StoreError.invalidValue(let message) {
                printError("sunk-bridge org set: \(message)")
                throw ExitCode.failure
            }
            say(OrgDescription.render(org))
            if force && !stranded.isEmpty {
                say("not exported to nodes from now on (--force):")
                for entry in stranded { say("  \(entry)") }
            }
        }
    }
}

enum Switch: String, ExpressibleByArgument {
    case on, off
    var isOn: Bool { self == .on }
}

extension DeactivationPolicy: ExpressibleByArgument {}

enum RangeArgument {
    static func parse(_ text: String, _ flag: String) throws -> IDRange {
        let parts = text.split(separator: "-", maxSplits: 1)
        guard parts.count == 2, let low = UInt32(parts[0]), let high = UInt32(parts[1]), low <= high else {
            throw ValidationError("\(flag) takes LOW-HIGH, e.g. 10000-2147483647 (got \(text))")
        }
        return IDRange(lower: low, upper: high)
    }
}

enum OrgDescription {
    static func render(_ org: Org) -> String {
        let p = org.policy
        var lines = [
            "org \(org.name)", "  scim-api: \(org.scimAPI ? "on" : "off")",
            "  provisioning: \(org.provisioning ? "on" : "off (nodes receive the snapshot frozen when it was turned off)")",
            "  serial: \(org.serial)",
            "  uid range: \(p.userIDRange) (allocation \(p.allocatedUserIDRange))",
            "  gid range: \(p.groupIDRange) (allocation \(p.allocatedGroupIDRange))",
            "  home prefixes: \(p.homePrefixes.joined(separator: " "))",
            "  shells: \(p.shells.joined(separator: " "))", "  default shell: \(p.defaultShell)",
            "  reserved user names: \(p.reservedUserNames.joined(separator: " "))",
            "  reserved group names: \(p.effectiveReservedGroupNames.joined(separator: " "))",
            "  deactivation: \(p.deactivation.rawValue)", "  key options: \(p.keyOptions ?? "(none)")",
        ]
        if !p.groupNameMappings.isEmpty {
            lines.append("  group mappings: " + p.groupNameMappings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }
}

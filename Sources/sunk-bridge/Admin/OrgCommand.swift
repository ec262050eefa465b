import ArgumentParser
import SunkModel
import SunkStore

/// `sunk-bridge org`: the "Cloud Console" side of the Okta guide — orgs, their switches and policy.
struct OrgCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "org", abstract: "Create, list and configure orgs.",
        subcommands: [Create.self, List.self, Set.self, Show.self, TrustKey.self, RotateSigningKey.self,
                      OrgSAMLCommand.self, OrgAdminsCommand.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an org (its SCIM base URL is /scim/ORG).")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Org name: a–z, 0–9 and '-'.") var name: String

        func run() async throws {
            let db = try await DatabaseOptions.openStore(at: await database.resolvedPath(command: "org create"),
                                                         create: true)
            let org = try await db.createOrg(name, policy: .default)
            say("created org \(org.name) (SCIM API on, provisioning on)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List orgs.")
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let db = try await database.store(command: "org list")
            let rows = try await db.orgs().map { org in
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
            let org = try await database.store(command: "org show").org(named: name)
            say(OrgDescription.render(org))
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an org's switches and policy. Takes effect on a running server at once.",
            discussion: PolicyFlags.help)
        @OptionGroup var database: DatabaseOptions
        @Argument var name: String
        @Option(name: .customLong("scim-api"), help: "on|off: off answers the IdP-facing SCIM API with 403.")
        var scimAPI: Switch?
        @Option(help: "on|off: off keeps accepting SCIM writes but freezes what nodes receive.")
        var provisioning: Switch?
        @Option(name: .customLong("map-group"), help: "DERIVED=POSIX: add or change one group name mapping ('DERIVED=' removes it; repeat).")
        var groupMappings: [String] = []
        @Option(name: .customLong("console-admin-group"),
                help: "A SCIM group's displayName whose members may use the org's console ('' for none).")
        var consoleAdminGroup: String?
        @Flag(help: "Apply a policy that refuses stored users or groups: they become \"not exported\" (with the reason) instead of the change being refused.")
        var force = false

        @Argument(parsing: .allUnrecognized,
                  help: ArgumentHelp("Policy fields, each --FIELD VALUE (see above).", valueName: "policy-flags"))
        var policyFlags: [String] = []

        func run() async throws {
            let db = try await database.store(command: "org set")
            let patch = try PolicyFlags.patch(policyFlags)
            var policy = patch.applied(to: try await db.org(named: name).policy)
            for mapping in groupMappings {
                let parts = mapping.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ValidationError("--map-group takes DERIVED=POSIX, got \(mapping)") }
                policy.groupNameMappings[parts[0]] = parts[1].isEmpty ? nil : parts[1]
            }
            do { try policy.validate() } catch { throw ValidationError("policy refused: \(error)") }
            let stranded = try await db.policyRefusals(org: name, policy: policy)
            let org: Org
            do {
                org = try await db.updateOrg(
                    name, scimAPI: scimAPI?.isOn, provisioning: provisioning?.isOn, policy: policy, force: force, actor: "cli")
            } catch StoreError.invalidValue(let message) {
                printError("sunk-bridge org set: \(message)")
                throw ExitCode.failure
            }
            say(OrgDescription.render(org))
            if let consoleAdminGroup {
                let settings = try await consoleCall {
                    try await db.updateConsoleSettings(org: name, identityProvider: nil, adminGroup: consoleAdminGroup,
                                                          actor: "cli")
                }
                say("  console admin group: " + (settings.adminGroup.map { "\"\($0)\"" } ?? "none"))
            }
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

/// `org set`'s policy flags: one per `PolicyField`, spelled as its name in words (`userIDRange` →
/// `--user-id-range`; earlier spellings such as `--uid-range` still work), parsed by the field.
/// A list field takes one flag per item (`--shells /bin/bash --shells /bin/zsh`); the list replaces
/// the policy's.
enum PolicyFlags {
    static func patch(_ arguments: [String]) throws -> PolicyPatch {
        var given: [(field: PolicyField, flag: String, values: [String])] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw ValidationError("unexpected argument \"\(argument)\"; policy fields are set with --FIELD VALUE")
            }
            var flag = String(argument.dropFirst(2))
            var value: String?
            if let equals = flag.firstIndex(of: "=") {
                value = String(flag[flag.index(after: equals)...])
                flag = String(flag[..<equals])
            }
            guard let field = PolicyField.named(flag) else {
                throw ValidationError("unknown option --\(flag); policy fields: "
                    + PolicyField.all.map(\.flag).joined(separator: " "))
            }
            if value == nil {
                guard index < arguments.count else { throw ValidationError("--\(flag) needs a value") }
                value = arguments[index]
                index += 1
            }
            if let at = given.firstIndex(where: { $0.field.name == field.name }) {
                guard field.kind == .stringList || field.kind == .stringMap else {
                    throw ValidationError("--\(flag): \(field.flag) is given twice")
                }
                given[at].values.append(value!)
            } else {
                given.append((field, "--" + flag, [value!]))
            }
        }
        var patch = PolicyPatch()
        for (field, flag, values) in given {
            do throws(RuleViolation) {
                try field.set(values.count == 1 && field.kind != .stringList ? .text(values[0]) : .list(values), in: &patch)
            } catch {
                throw ValidationError("\(flag): \(error.reason)")
            }
        }
        return patch
    }

    /// The flags, for `org set --help`.
    static var help: String {
        "Policy fields (the configuration's orgs.ORG.policy keys, in words):\n"
            + PolicyField.all.map { "  \($0.flag) \(placeholder($0.kind))\n        \($0.summary)" }.joined(separator: "\n")
    }

    private static func placeholder(_ kind: PolicyField.Kind) -> String {
        switch kind {
        case .idRange: return "LOW-HIGH"
        case .string: return "TEXT"
        case .integer: return "N"
        case .boolean: return "on|off"
        case .choice(let values): return values.joined(separator: "|")
        case .stringList: return "VALUE (repeat)"
        case .stringMap: return "DERIVED=POSIX (repeat)"
        }
    }
}

enum OrgDescription {
    static func render(_ org: Org) -> String {
        var lines = [
            "org \(org.name)", "  scim-api: \(org.scimAPI ? "on" : "off")",
            "  provisioning: \(org.provisioning ? "on" : "off (nodes receive the snapshot frozen when it was turned off)")",
            "  serial: \(org.serial)",
        ]
        for field in PolicyField.all {
            let value = field.value(in: org.policy)
            lines.append("  \(field.name):" + (value.isEmpty ? "" : " " + value))
        }
        return lines.joined(separator: "\n")
    }
}

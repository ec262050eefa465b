import ArgumentParser
import SunkStore

/// `sunk-bridge token`: bearer tokens for the IdP (scope scim) and for nodes (scope node).
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create, list and revoke bearer tokens.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print its secret once (it is stored only as a hash).")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var org: OrgOption
        @Option(help: "A name to recognise it by, e.g. \"Okta ID\".") var name: String
        @Option(help: "scim (the IdP: read and write the SCIM API) or node (read the published state).")
        var scope: TokenScope = .scim
        @Flag(help: "Print only the secret, on one line (for scripts).") var quiet = false

        func run() async throws {
            let secret = try await database.store(command: "token create").createToken(org: org.org, name: name, scope: scope, actor: "cli")
            if quiet {
                say(secret)
            } else {
                say("token \"\(name)\" (scope \(scope.rawValue)) for org \(org.org):")
                say(secret)
                say("This secret is shown once. Paste it into the IdP as the bearer token (Authorization: Bearer …).")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "Only this org.") var org: String?

        func run() async throws {
            let rows = try await database.store(command: "token list").tokens(org: org).map {
                [$0.org, $0.name, $0.scope.rawValue, $0.createdAt, $0.lastUsedAt ?? "never"]
            }
            say(Table.render(header: ["ORG", "NAME", "SCOPE", "CREATED", "LAST USED"], rows: rows))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token; a running server refuses it at once.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var org: OrgOption
        @Argument var name: String

        func run() async throws {
            try await database.store(command: "token revoke").revokeToken(org: org.org, name: name, actor: "cli")
            say("revoked token \"\(name)\" of org \(org.org)")
        }
    }
}

extension TokenScope: ExpressibleByArgument {}

/// Plain aligned columns for terminal output.
enum Table {
    static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0.count > column ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

import ArgumentParser
import SunkStore

/// `sunk-bridge groups`: POSIX name, gid and members of pushed groups.
struct GroupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groups", abstract: "List and show provisioned groups.", subcommands: [List.self, Show.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List groups.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var org: OrgOption

        func run() async throws {
            let db = try await database.store(command: "groups list")
            let organisation = try await db.org(named: org.org)
            let groups = try await db.groups(org: organisation, lookup: .all, members: true)
            let rows = groups.map { group in
                [group.posixName, "\(group.gid)", "\(group.members.count)", group.displayName]
            }
            say(Table.render(header: ["NAME", "GID", "MEMBERS", "DISPLAYNAME"], rows: rows))
            let refused = try await db.exportRefusals(org: organisation).filter { $0.kind == .group }
            if !refused.isEmpty {
                say("\nnot exported to nodes:")
                for entry in refused { say("  \(entry.scimName) (\(entry.name)): \(entry.reason)") }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one group by POSIX name, displayName or id.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var org: OrgOption
        @Argument var group: String

        func run() async throws {
            let db = try await database.store(command: "groups show")
            let organisation = try await db.org(named: org.org)
            let groups = try await db.groups(org: organisation, lookup: .all, members: true)
            guard let found = groups.first(where: { $0.posixName == group || $0.id == group })
                ?? groups.first(where: { $0.displayName.lowercased() == group.lowercased() })
            else { throw ValidationError("no group \"\(group)\" in org \(org.org)") }
            let users = try await db.users(org: organisation, lookup: .all)
            let names = Dictionary(uniqueKeysWithValues: users.map { ($0.id, $0.posixName ?? "(not exported: \($0.userName))") })
            say("""
                displayName: \(found.displayName)
                id:          \(found.id)
                POSIX name:  \(found.posixName)
                gid:         \(found.gid)
                members:     \(found.members.map { names[$0.id] ?? $0.userName }.joined(separator: ", "))
                """)
        }
    }
}

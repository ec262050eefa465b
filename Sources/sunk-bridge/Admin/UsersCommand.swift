import ArgumentParser
import Crypto
import Foundation
import SunkModel
import SunkStore

/// `sunk-bridge users`: what the console's "View Details → Slurm Attributes" shows.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "List and show provisioned users.", subcommands: [List.self, Show.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users with their POSIX attributes.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var org: OrgOption

        func run() async throws {
            let db = try await database.store(command: "users list")
            let organisation = try await db.org(named: org.org)
            let users = try await db.users(org: organisation, lookup: .all)
            let refused = Dictionary(try await db.exportRefusals(org: organisation).filter { $0.kind == .user }
                .map { ($0.id, $0.reason) }, uniquingKeysWith: { a, _ in a })
            let rows = users.map { user in
                [user.posixName ?? "-", "\(user.uid)", "\(user.gid)", user.home ?? "-", user.shell,
                 "\(user.keys.count)", user.active ? "yes" : "no", user.userName]
            }
            say(Table.render(header: ["NAME", "UID", "GID", "HOME", "SHELL", "KEYS", "ACTIVE", "USERNAME"], rows: rows))
            let problems = users.compactMap { user in (user.exportProblem ?? refused[user.id]).map { (user, $0) } }
            if !problems.isEmpty {
                say("\nnot exported to nodes:")
                for (user, reason) in problems { say("  \(user.userName): \(reason)") }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one user by POSIX name, userName or id.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var org: OrgOption
        @Argument(help: "POSIX name, userName or SCIM id.") var user: String

        func run() async throws {
            let db = try await database.store(command: "users show")
            let organisation = try await db.org(named: org.org)
            let users = try await db.users(org: organisation, lookup: .all)
            guard var found = users.first(where: { $0.posixName == user || $0.id == user })
                ?? users.first(where: { UserKey.fold($0.userName) == UserKey.fold(user) })
            else { throw ValidationError("no user \"\(user)\" in org \(org.org)") }
            if found.exportProblem == nil,
               let refusal = try await db.exportRefusals(org: organisation).first(where: { $0.kind == .user && $0.id == found.id }) {
                found.exportProblem = refusal.reason
            }
            say(UserDescription.render(found))
        }
    }
}

enum UserDescription {
    static func render(_ user: StoredUser) -> String {
        var lines = [
            "userName:    \(user.userName)", "id:          \(user.id)",
            "active:      \(user.active ? "yes" : "no")",
            "POSIX name:  \(user.posixName ?? "-")\(user.explicitName == nil ? " (derived from userName)" : "")",
            "uid:         \(user.uid)\(user.uidAllocated ? " (allocated)" : "")",
            "gid:         \(user.gid)\(user.explicitGID == nil ? " (user-private group)" : "")",
            "home:        \(user.home ?? "-")\(user.explicitHome == nil ? " (default)" : "")",
            "shell:       \(user.shell)\(user.explicitShell == nil ? " (default)" : "")",
            "gecos:       \(user.gecos)",
            "groups:      \(user.groups.map(\.displayName).joined(separator: ", "))",
            "ssh keys:    \(user.keys.count)",
        ]
        for key in user.keys { lines.append("  " + KeyFingerprint.describe(key)) }
        if let problem = user.exportProblem { lines.append("NOT EXPORTED: \(problem)") }
        lines.append("version:     \(user.version) (modified \(user.modifiedAt))")
        return lines.joined(separator: "\n")
    }
}

/// `ssh-keygen -l` style: type, SHA256 fingerprint, comment.
enum KeyFingerprint {
    static func describe(_ rendered: String) -> String {
        guard let key = try? SSHPublicKey(parsing: rendered) else { return "(unparsable key)" }
        let digest = Data(SHA256.hash(data: Data(key.blob))).base64EncodedString().replacingOccurrences(of: "=", with: "")
        return "\(key.type) SHA256:\(digest)\(key.comment.map { " " + $0 } ?? "")"
    }
}

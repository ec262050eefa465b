import ArgumentParser
import SunkSnapshot
import SunkStore

extension OrgCommand {
    /// `sunk-bridge org trust-key [ORG] [--all]`: the line every node puts in /etc/sunk-bridge/trust.pub.
    struct TrustKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trust-key",
            abstract: "Print the org's snapshot signing key as a trust line for nodes' /etc/sunk-bridge/trust.pub.",
            discussion: """
                One line, `sunk-bridge-ed25519 BASE64 ORG`. With --all, the current key and the previous one \
                (after `org rotate-signing-key`), so nodes can trust both until every node has the new line.
                """)
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The org (default: default).") var name: String = SQLiteStore.defaultOrg
        @Flag(help: "Also print the previous key during a rotation.") var all = false

        func run() async throws {
            let keys = try await database.store(command: "org trust-key").trustKeys(org: name, includePrevious: all)
            for key in keys { say(key.line) }
        }
    }

    /// `sunk-bridge org rotate-signing-key ORG`.
    struct RotateSigningKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-signing-key",
            abstract: "Start signing the org's snapshots with a new key.",
            discussion: """
                First add the new line to every node: run `sunk-bridge org trust-key --all ORG` after \
                rotating and install both lines; nodes that only trust the old key refuse new snapshots \
                (and keep their files) until they have the new one. A later rotation retires the old key.
                """)
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The org.") var name: String

        func run() async throws {
            let key = try await database.store(command: "org rotate-signing-key").rotateSigningKey(org: name, actor: "cli")
            say("org \(name) now signs with \(TrustedKey.fingerprint(key.publicKey)); install on every node:")
            say(key.line)
        }
    }
}

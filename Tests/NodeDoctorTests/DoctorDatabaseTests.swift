// `sunk-bridge doctor --db URL`, the receiver's side of doctor, against the test process's real
// PostgreSQL: every state of a receiver's database gets its own line and, when not ok, the fix.
import Foundation
import Testing
import TestSupport

@Suite("doctor --db: a receiver's PostgreSQL database", .tags(.e2e))
struct DoctorDatabaseTests {
    @Test("empty, current, newer and unreachable databases: one line each, exit 1 only when a receiver cannot serve")
    func databaseStates() async throws {
        let binary = try Binaries.sunkBridge()
        let cluster = try await PostgresCluster.shared()
        try await cluster.withDatabase { url in
            let empty = try await run(binary, ["doctor", "--db", url], error: .separate)
            #expect(empty.status == 0, "\(empty.stdout)\(empty.stderr)")
            #expect(empty.has("WARN database:", "holds no sunk-bridge schema yet"), "\(empty.stdout)")
            #expect(empty.stdout.contains("fix: the first `sunk-bridge serve --db URL` creates it"))
            // Doctor only reads: the database is still empty afterwards.
            #expect(try await run(binary, ["doctor", "--db", url], error: .separate).has("WARN database:"))

            // Any command with --db migrates it: now current.
            #expect(try await run(binary, ["org", "list", "--db", url], error: .separate).status == 0)
            let current = try await run(binary, ["doctor", "--db", url], error: .separate)
            #expect(current.status == 0 && current.has("ok database:", "schema current"), "\(current.stdout)")

            // A newer receiver migrated it: this build must not serve it.
            let name = String(try #require(url.split(separator: "/").last?.split(separator: "?").first))
            try await cluster.sql("INSERT INTO schema_migrations VALUES ('v99-future', 'now')", database: name)
            let newer = try await run(binary, ["doctor", "--db", url], error: .separate)
            #expect(newer.status == 1, "\(newer.stdout)")
            #expect(newer.has("FAIL database:", "newer than this sunk-bridge", "v99-future"), "\(newer.stdout)")
            #expect(newer.stdout.contains("fix: upgrade this host's sunk-bridge"))
        }
        // Nothing listens on port 1: the message names the place and how to check it.
        let gone = try await run(binary, ["doctor", "--db", "postgresql://postgres:s3cret@127.0.0.1:1/none?sslmode=disable"],
                                 error: .separate)
        #expect(gone.status == 1, "\(gone.stdout)\(gone.stderr)")
        #expect(gone.has("FAIL database:", "cannot read postgresql://127.0.0.1:1/none"), "\(gone.stdout)")
        #expect(gone.stdout.contains("pg_isready -h HOST -p PORT"))
        #expect(!gone.stdout.contains("s3cret") && !gone.stderr.contains("s3cret"), "the password is never echoed")
        let refused = try await run(binary, ["doctor", "--db", "/var/lib/x.sqlite"], error: .separate)
        #expect(refused.status != 0 && refused.stderr.contains("--db takes a postgresql:// URL"), "\(refused.stderr)")
    }
}

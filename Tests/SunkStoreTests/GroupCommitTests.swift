import Foundation
import GRDB
import Synchronization
import Testing
@testable import SunkStore

/// Counts the commits of a connection (GRDB calls it on the writer after each COMMIT).
final class CommitCounter: TransactionObserver, Sendable {
    private let count = Mutex(0)
    var commits: Int { count.withLock { $0 } }
    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { true }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidCommit(_ db: Database) { count.withLock { $0 += 1 } }
    func databaseDidRollback(_ db: Database) {}
}

@Suite("SunkStore: group commit of concurrent writes")
struct GroupCommitTests {
    @Test("concurrent creates share commits; each caller gets its own answer, a failed write is undone alone")
    func concurrentCreatesShareCommits() async throws {
        try await withDatabase { database in
            let counter = CommitCounter()
            database.pool.add(transactionObserver: counter, extent: .databaseLifetime)
            let org = try await database.org(named: "default")
            // 200 creates at once, every fifth one a userName that another create also takes.
            let names = (0..<200).map { i in i % 5 == 4 ? "taken\(i / 10)@example.com" : "user\(i)@example.com" }
            let outcomes = await withTaskGroup(of: (String, Result<StoredUser, StoreError>).self) { group in
                for name in names {
                    group.addTask {
                        do { return (name, .success(try await database.createUser(org: org, draft: draft(name), actor: "test"))) }
                        catch let error as StoreError { return (name, .failure(error)) }
                        catch { return (name, .failure(.engine("\(error)"))) }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let created = outcomes.compactMap { name, outcome in (try? outcome.get()).map { (name, $0) } }
            let refused = outcomes.filter { if case .failure = $0.1 { return true } else { return false } }
            // Each "takenN" name is wanted twice: one create wins, the other is refused as a duplicate.
            #expect(created.count == 180)
            #expect(refused.count == 20)
            for (_, outcome) in refused {
                guard case .failure(let error) = outcome else { continue }
                if case .uniqueness = error {} else { Issue.record("refused as a duplicate, not \(error)") }
            }
            for (name, user) in created { #expect(user.userName == name) }
            // What the answers said is what is stored: the winners, nothing of the refused ones.
            let stored = try database.readSync { db in
                try String.fetchAll(db, sql: "SELECT userName FROM scimUser ORDER BY userName")
            }
            #expect(stored == created.map(\.0).sorted())
            let serial = try await database.org(named: "default").serial
            #expect(serial == org.serial + 180, "each stored create moved the serial once")
            // Grouped: fewer commits than writes (a lone writer would commit 180 times).
            #expect(counter.commits < 180, "\(counter.commits) commits for 180 creates")
        }
    }

    @Test("a lone write commits at once and is durable when it returns")
    func loneWriteIsDurableOnReturn() async throws {
        try await withDatabase { database in
            let org = try await database.org(named: "default")
            let user = try await database.createUser(org: org, draft: draft("ada@example.com"), actor: "test")
            // Another connection (as another process would) sees it at once.
            let other = try DatabaseQueue(path: database.path)
            let found = try await other.read { db in
                try String.fetchOne(db, sql: "SELECT userName FROM scimUser WHERE id = ?", arguments: [user.id])
            }
            #expect(found == "ada@example.com")
        }
    }
}

import GRDB
import Synchronization

/// Group commit for the SQLite engine's asynchronous writes (the SCIM server's): the writes that
/// arrive while a commit is in progress wait, then run together in the next transaction — each in
/// its own savepoint, so one that fails is undone alone and gets its own error — and one `COMMIT`
/// (one `fsync` of the WAL) makes them all durable. Each caller is answered only after that
/// commit, with its own result, or with the commit's error when it did not commit.
///
/// Nothing waits on purpose: a write that finds the writer idle commits at once, so a lone client
/// sees no added latency; concurrent clients share the fsync instead of queueing behind one each.
/// Writes run in arrival order, as they would one transaction each, and see each other's changes.
final class GroupCommit: Sendable {
    private struct Job: Sendable {
        /// Runs the caller's body in the open transaction; returns how to answer the caller once
        /// the transaction has ended (with the commit's error, or nil when it committed).
        let run: @Sendable (Database) -> @Sendable ((any Error)?) -> Void
        /// Answers a caller whose body never ran: the transaction ended before its turn.
        let abandon: @Sendable (any Error) -> Void
    }

    private struct State {
        var queue: [Job] = []
        var committing = false
    }

    private let pool: DatabasePool
    private let state = Mutex(State())

    init(pool: DatabasePool) {
        self.pool = pool
    }

    /// Runs `body` in the next group transaction and returns its result once that transaction
    /// has committed.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(Job(
                run: { db in
                    let result: Result<T, any Error>
                    do {
                        var value: T?
                        try db.inSavepoint {
                            value = try body(db)
                            return .commit
                        }
                        result = .success(value!)
                    } catch {
                        result = .failure(error)
                    }
                    return { commitError in
                        if case .success = result, let commitError {
                            continuation.resume(throwing: commitError)
                        } else {
                            continuation.resume(with: result)
                        }
                    }
                },
                abandon: { error in continuation.resume(throwing: error) }))
        }
    }

    private func enqueue(_ job: Job) {
        let starts = state.withLock { state in
            state.queue.append(job)
            if state.committing { return false }
            state.committing = true
            return true
        }
        if starts { commitNext() }
    }

    /// Commits what is queued on the pool's writer, then comes back for what arrived meanwhile.
    /// One batch per turn of the writer, so the CLI's and other synchronous writes get theirs.
    private func commitNext() {
        pool.asyncWriteWithoutTransaction { db in
            let batch = self.state.withLock { state in
                let batch = state.queue
                state.queue.removeAll(keepingCapacity: true)
                if batch.isEmpty { state.committing = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            Self.commit(batch, db)
            self.commitNext()
        }
    }

    private static func commit(_ batch: [Job], _ db: Database) {
        var answers: [@Sendable ((any Error)?) -> Void] = []
        answers.reserveCapacity(batch.count)
        var failure: (any Error)?
        do {
            try db.inTransaction(.immediate) {
                for job in batch {
                    // A failure SQLite answers with a rollback (a full disk, an I/O error) ends
                    // the transaction: the writes before it are gone, those after must not run
                    // outside one.
                    guard db.isInsideTransaction else { throw TransactionLost() }
                    answers.append(job.run(db))
                }
                return .commit
            }
        } catch {
            failure = error
        }
        for answer in answers { answer(failure) }
        for job in batch.dropFirst(answers.count) { job.abandon(failure ?? TransactionLost()) }
    }

    /// SQLite rolled the group's transaction back (another write of the group met a full disk or
    /// an I/O error): nothing of this write was stored.
    struct TransactionLost: Error, CustomStringConvertible {
        var description: String {
            "SQLite rolled back the write transaction this write shared (a full disk or an I/O error); nothing was stored"
        }
    }
}

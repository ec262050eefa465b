import GRDB

extension SQLiteStore {
    /// The org's serial now, then each time it moves on. GRDB observes the transactions this
    /// process commits (every SCIM write of a running server); a write by another process (the
    /// CLI) is seen with the next one of this process. Consecutive equal serials are dropped, and
    /// a slow consumer sees the latest serial rather than every step.
    public func serials(org name: String) -> AsyncThrowingStream<Int64, any Error> {
        let values = ValueObservation
            .tracking { db in try OrgRecord.filter(OrgRecord.Columns.name == name).fetchOne(db)?.serial }
            .removeDuplicates()
            .values(in: pool, bufferingPolicy: .bufferingNewest(1))
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await serial in values {
                        guard let serial else { throw StoreError.orgNotFound(name) }
                        continuation.yield(serial)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: StoreError.mapping(error))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

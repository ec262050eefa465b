import GRDB

extension StoreError {
    /// GRDB's errors stop here: whatever leaves `SQLiteStore` is a `StoreError`, or an error the
    /// caller's own closure threw (a PATCH engine's `SCIMError`), passed through unchanged.
    ///
    /// A constraint violation means one of SQLite's unique indexes caught what the checks in Swift
    /// let through (they back them up): a conflict, as before (409 `uniqueness`).
    static func mapping(_ error: any Error) -> any Error {
        switch error {
        case let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT:
            return StoreError.constraintViolation
        case let error as DatabaseError:
            return StoreError.engine("SQLite \(error.extendedResultCode): \(error.message ?? "no message")")
        case let error as RecordError:
            return StoreError.engine("\(error)")
        default:
            return error
        }
    }
}

import GRDB

/// The SQLite engine's indexed equality lookups of an org's users and groups, from statements the
/// connection keeps prepared: every SCIM write and every existence check asks them, and preparing
/// a statement (with GRDB's authorizer) cost more than running it. `table`, `column` and `answer`
/// are always this module's literals, never a caller's text.
enum PreparedLookups {
    /// The rows of `Record`'s table in org `orgID` whose `column` equals `value`, oldest first.
    static func rows<Record: FetchableRecord & TableRecord>(
        _: Record.Type, _ db: Database, orgID: Int64, where column: String, is value: some DatabaseValueConvertible
    ) throws -> [Record] {
        try Record.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM \(Record.databaseTableName) WHERE orgID = ? AND \(column) = ? ORDER BY rowid"),
            arguments: [orgID, value])
    }

    /// `answer` of a row of `table` in org `orgID`, other than `selfID`, whose `column` equals
    /// `value`: who already holds a value that must be unique.
    static func holder(_ db: Database, table: String, answer: String, orgID: Int64, where column: String,
                       is value: some DatabaseValueConvertible, except selfID: String) throws -> String? {
        try String.fetchOne(
            db.cachedStatement(sql: "SELECT \(answer) FROM \(table) WHERE orgID = ? AND \(column) = ? AND id != ?"),
            arguments: [orgID, value, selfID])
    }
}

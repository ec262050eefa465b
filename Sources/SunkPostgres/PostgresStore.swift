import Foundation
import Logging
import PostgresNIO
import SunkStore
import Synchronization

/// The PostgreSQL engine of `IdentityStore`, for several receivers on one database. Everything a
/// receiver guarantees with SQLite holds across processes here through the database's own
/// mechanisms: every mutation of an org starts with `SELECT … FROM org … FOR UPDATE`, so writers
/// to one org serialise whichever receiver they arrive at (ids are allocated once, the serial
/// strictly increases, If-Match sees the latest version); unique constraints back up the checks;
/// the audit row and a `NOTIFY` of the new serial are part of the writing transaction. Reads that
/// take several queries run in one `REPEATABLE READ` transaction (one consistent snapshot).
public final class PostgresStore: Sendable {
    /// Host, port and database (or socket directory); never a password.
    public let location: String
    let client: PostgresClient
    private let runner: Task<Void, Never>
    let url: PostgresURL
    let logger: Logger
    /// The one LISTEN connection behind every `serials(org:)` stream.
    let listener: PostgresListener

    /// Connects to the database at `url` (see `PostgresURL`) and migrates it. Refuses a schema
    /// newer than this build knows (`StoreError.newerSchema`).
    public init(url text: String) async throws {
        let url = try PostgresURL(text)
        var logger = Logger(label: "sunk-bridge.postgres")
        logger.logLevel = .error
        let client = PostgresClient(configuration: url.configuration, backgroundLogger: logger)
        self.url = url
        self.logger = logger
        self.location = url.location
        self.client = client
        listener = PostgresListener(client: client)
        runner = Task { await client.run() }
        do {
            try await PostgresMigrations.migrate(self)
        } catch {
            runner.cancel()
            throw Self.mapping(error, location: url.location)
        }
    }

    /// Runs `body` in one read-write transaction. Errors leave as `StoreError` (the caller's own
    /// errors unchanged); the transaction is rolled back on any error.
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await transaction(begin: "BEGIN", body)
    }

    /// Runs `body` in one read-only transaction that sees one snapshot of the database.
    func read<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
    }

    private func transaction<T: Sendable>(begin: PostgresQuery, _ body: (PostgresConnection) async throws -> T)
        async throws -> T {
        try await withConnection { connection in
            try await connection.exec(begin)
            do {
                let result = try await body(connection)
                try await connection.exec("COMMIT")
                return result
            } catch {
                try? await connection.exec("ROLLBACK")
                throw error
            }
        }
    }

    /// A pooled connection for `body`, with the engine's errors mapped.
    func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch {
            throw Self.mapping(error, location: location)
        }
    }

    /// PostgresNIO's errors stop here: a unique violation (SQLSTATE 23505) is a conflict the checks
    /// in Swift could not see (409, the words SQLite's engine uses); anything else from the
    /// database is `.engine`. Errors of the caller's own closures pass through unchanged.
    static func mapping(_ error: any Error, location: String) -> any Error {
        switch error {
        case let error as PSQLError:
            let state = error.serverInfo?[.sqlState]
            if state == "23505" { return StoreError.constraintViolation }
            if let state {
                return StoreError.engine("PostgreSQL \(location): \(state) \(error.serverInfo?[.message] ?? "")")
            }
            let cause = error.underlying.map { " (\($0))" } ?? ""
            return StoreError.engine("PostgreSQL \(location): \(error.code)\(cause)")
        case let error as PostgresDecodingError:
            return StoreError.engine("PostgreSQL \(location): cannot decode column \(error.columnName): \(error.postgresType)")
        default:
            return error
        }
    }

    /// Readiness: the database answers a trivial read of the schema it needs within
    /// `readinessLimit`. A load balancer's probe must not hang while the pool waits for a server
    /// that is gone, so the answer is "no" at the limit, whatever the probe is still waiting for.
    public func isReadable() async -> Bool {
        let answer = FirstAnswer()
        let probe = Task {
            do {
                _ = try await withConnection { try await $0.rows("SELECT count(*) FROM org") }
                answer.give(true)
            } catch {
                answer.give(false)
            }
        }
        let timer = Task {
            try? await Task.sleep(for: Self.readinessLimit)
            answer.give(false)
        }
        let readable = await answer.value()
        probe.cancel()
        timer.cancel()
        return readable
    }

    static let readinessLimit = Duration.seconds(3)

    /// Closes the pool (and so every listener); any later use throws.
    public func close() async throws {
        listener.stop()
        runner.cancel()
    }

    /// Test and maintenance door: one statement outside any store rule (a unique violation still
    /// maps to `StoreError.uniqueness`).
    package func execute(_ sql: String) async throws {
        try await withConnection { try await $0.exec(PostgresQuery(unsafeSQL: sql)) }
    }
}

/// The first of several racing answers; later ones are ignored.
private final class FirstAnswer: Sendable {
    private let state = Mutex<(answer: Bool?, waiter: CheckedContinuation<Bool, Never>?)>((nil, nil))

    func give(_ value: Bool) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard state.answer == nil else { return nil }
            state.answer = value
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: value)
    }

    func value() async -> Bool {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool? in
                if state.answer == nil { state.waiter = continuation }
                return state.answer
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

extension PostgresConnection {
    /// Every row of `query`, for column access by name.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        var result: [PostgresRandomAccessRow] = []
        for try await row in try await self.query(query, logger: Self.quiet) { result.append(row.makeRandomAccess()) }
        return result
    }

    /// The first row of `query`, if any.
    func row(_ query: PostgresQuery) async throws -> PostgresRandomAccessRow? {
        try await rows(query).first
    }

    /// The rows of `table` (scimuser, scimgroup) in `orgID`, narrowed by one indexed column, in
    /// creation order.
    func lookup(_ table: String, orgID: Int64, _ filter: (column: String, value: String)?) async throws
        -> [PostgresRandomAccessRow] {
        var binds = PostgresBindings()
        binds.append(orgID)
        var sql = "SELECT * FROM \(table) WHERE orgid = $1"
        if let filter {
            binds.append(filter.value)
            sql += " AND \(filter.column) = $2"
        }
        return try await rows(PostgresQuery(unsafeSQL: sql + " ORDER BY seq", binds: binds))
    }

    /// Runs a statement and drops its rows.
    func exec(_ query: PostgresQuery) async throws {
        _ = try await rows(query)
    }

    static let quiet = Logger(label: "sunk-bridge.postgres.query", factory: { _ in SwiftLogNoOpLogHandler() })
}

extension PostgresRandomAccessRow {
    /// The value of column `name` (lowercase: PostgreSQL folds unquoted names).
    func get<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        try self[name].decode(T.self)
    }
}

extension PostgresStore: IdentityStore {}

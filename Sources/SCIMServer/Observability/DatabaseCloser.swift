import Logging
import ServiceLifecycle
import SunkStore

/// Closes the database at the end of a graceful shutdown. The application's service group stops
/// its services in reverse order and waits for each, and this one is listed before the HTTP
/// server, so it runs only after every in-flight request has been answered: SIGTERM then leaves a
/// checkpointed file, not one that needs WAL recovery. On cancellation (tests stopping a server)
/// it leaves the database open to its owner.
struct DatabaseCloser: Service {
    let database: any IdentityStore
    let logger: Logger

    func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            return
        }
        do {
            try await database.close()
            logger.info("database closed", metadata: ["path": .string(database.location)])
        } catch {
            logger.error("closing the database failed", metadata: ["error": "\(error)"])
        }
    }
}

// `sunk-bridge doctor --db URL`: the receiver side of doctor. A receiver on PostgreSQL depends on
// a database it does not own; this says whether it answers and whether its schema is one this
// build serves, with what to do when not. Reads only: no migration, no bootstrap.
import NodeDoctor
import SunkPostgres
import SunkStore

enum ReceiverDatabaseCheck {
    static let check = "database"

    /// One finding for the database at `url`.
    static func run(url: String) async -> DoctorFinding {
        let location = (try? PostgresURL(url).location) ?? "the URL given"
        do {
            switch try await PostgresProbe.schema(url: url) {
            case .current:
                return .ok(check, "\(location) answers; schema current")
            case .empty:
                return .warn(check, "\(location) answers but holds no sunk-bridge schema yet",
                             fix: "the first `sunk-bridge serve --db URL` creates it; or, to move an existing store, "
                                + "`sunk-bridge migrate-store --from FILE --to URL` before any receiver starts")
            case .older(let missing):
                return .warn(check, "\(location) answers; schema older than this sunk-bridge (missing \(missing.joined(separator: ", ")))",
                             fix: "the next `serve` of this version migrates it; upgrade receivers one at a time (docs/operations.md, \"Run several receivers\")")
            case .newer(let unknown):
                return .fail(check, "\(location) has a schema newer than this sunk-bridge (\(unknown.joined(separator: ", ")))",
                             fix: "upgrade this host's sunk-bridge to the version the other receivers run")
            }
        } catch StoreError.invalidValue(let message) {
            return .fail(check, message, fix: "write the URL as postgresql://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=verify-full&sslrootcert=FILE")
        } catch {
            return .fail(check, "cannot read \(location): \(error)",
                         fix: "check that PostgreSQL runs and listens there (`pg_isready -h HOST -p PORT`), that the user "
                            + "and password in the URL are right and pg_hba.conf admits this host, and the sslmode/sslrootcert "
                            + "the server needs")
        }
    }
}

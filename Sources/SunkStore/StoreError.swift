/// Why a store operation did not happen. Each case carries a message an operator or an IdP
/// administrator can act on; the SCIM layer maps them to RFC 7644 errors.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No org of that name. `sunk-bridge org list` shows the existing ones.
    case orgNotFound(String)
    /// An org, token or resource with that identity already exists.
    case alreadyExists(String)
    /// A resource id that does not exist in this org.
    case notFound(String)
    /// A value that must be unique in the org is already taken (SCIM 409 `uniqueness`).
    case uniqueness(String)
    /// The request is well-formed but refers to something invalid (SCIM 400 `invalidValue`).
    case invalidValue(String)
    /// `If-Match` named a version that is no longer current (SCIM 412).
    case preconditionFailed(String)
    /// An id range is used up; the policy's allocation range must be widened.
    case exhausted(String)
    /// The database was written by a newer SUNK Bridge; refuse to touch it.
    case newerSchema([String])
    /// The database file could not be created or handed to its owner (path and reason).
    case unusableFile(String)
    /// The storage engine failed in a way no request can fix (I/O error, damaged file, lost
    /// connection). The text is for the server log, not for a client. Engines map their own error
    /// types to `StoreError`, so nothing above the store depends on an engine's library.
    case engine(String)

    /// What a unique index or constraint of any engine reports: the checks in Swift back it up,
    /// so reaching it means a race those checks could not see (409 `uniqueness`).
    package static let constraintViolation = StoreError.uniqueness(
        "a value that must be unique in this org is already taken")

    public var description: String {
        switch self {
        case .orgNotFound(let name): "no org named \"\(name)\" (see `sunk-bridge org list`)"
        case .alreadyExists(let what): "\(what) already exists"
        case .notFound(let what): "\(what) not found"
        case .uniqueness(let detail), .invalidValue(let detail), .preconditionFailed(let detail),
             .exhausted(let detail), .unusableFile(let detail):
            detail
        case .engine(let detail): "storage engine failure: \(detail)"
        case .newerSchema(let ids):
            "the database has migrations this version does not know (\(ids.joined(separator: ", "))): "
                + "it was written by a newer sunk-bridge; upgrade instead of downgrading"
        }
    }
}

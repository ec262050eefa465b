import Foundation
import SunkModel
import SunkSnapshot

/// The store of SUNK Bridge as the SCIM server and the CLI see it: orgs, tokens, users, groups,
/// the audit trail and the signed snapshots nodes fetch. `SQLiteStore` (SQLite through GRDB, one
/// process) and `PostgresStore` (target SunkPostgres: several receivers on one database) implement
/// the same requirements, and the store's test suite (`Tests/SunkStoreTests`, `StoreEngine`) runs
/// against both. The rules that do not depend on an engine (user and group rules, id allocation,
/// If-Match, snapshot assembly, signing, audit texts, the migration history) are this module's
/// `package` API, written once; an engine brings only its SQL and transactions.
///
/// The contract every engine keeps:
/// - Values in and out are domain values (`Org`, `StoredUser`, `StoredGroup`, `SnapshotDocument`…),
///   never an engine's rows.
/// - Errors are `StoreError`; an engine maps its own errors (a unique index → `.uniqueness`,
///   anything else → `.engine`) before they leave it. Two exceptions: an error thrown by a
///   caller's `transform` closure passes through unchanged (the PATCH engine's `SCIMError`), and
///   an invalid policy is refused with `Policy.validate()`'s `RuleViolation`.
/// - Every mutation of an org runs in one transaction that checks `If-Match`, writes, moves the
///   org's `serial` when nodes can see the change, and records the audit row; a mutation that
///   changes nothing writes nothing (same version, same serial). The serial is the change cursor:
///   snapshot ETags and the node view's cursors derive from it.
/// - Updates never lose a concurrent update (`updateUser`/`updateGroup` recompute from the stored
///   version until they win), and allocated uids/gids are never handed out twice.
/// - All of the above holds with several processes on one database (the CLI beside a server;
///   several receivers on PostgreSQL), through the database's own locks and constraints, never
///   a lock held in one process.
///
/// `SQLiteStore` answers some administrative requirements synchronously (the CLI's); the SCIM
/// server's requirements are asynchronous in every engine.
public protocol IdentityStore: Sendable {
    /// Where the data lives, for logs (a file path, a host and database name); never a secret.
    var location: String { get }

    // MARK: Orgs

    /// Every org, by name.
    func orgs() async throws -> [Org]
    /// The org as stored now; `.orgNotFound` when there is none.
    func org(named name: String) async throws -> Org
    /// Creates an org with a new signing key; `.alreadyExists`, `.invalidValue` for a bad name.
    func createOrg(_ name: String, policy: Policy) async throws -> Org
    /// Changes an org's switches and policy in one transaction (nil leaves a setting as it is).
    /// A policy that would stop exporting stored entries is refused unless `force`.
    func updateOrg(_ name: String, scimAPI: Bool?, provisioning: Bool?, policy: Policy?, force: Bool,
                   actor: String) async throws -> Org
    /// The stored entries `policy` would keep from the nodes that the org's current policy exports.
    func policyRefusals(org name: String, policy: Policy) async throws -> [ExportRefusal]
    /// The stored entries the org's current policy (or the gid rule) keeps from the nodes.
    func exportRefusals(org: Org) async throws -> [ExportRefusal]
    /// Per-org counts for `/metrics`; never a name of a user or group.
    func orgStats() async throws -> [OrgStats]

    // MARK: Tokens

    /// Creates a token and returns its secret, which is stored only as a hash.
    func createToken(org: String, name: String, scope: TokenScope, actor: String) async throws -> String
    /// Tokens of one org (or all), by org and name; never a secret.
    func tokens(org: String?) async throws -> [TokenInfo]
    /// Deletes a token; `.notFound` when there is none of that name.
    func revokeToken(org: String, name: String, actor: String) async throws
    /// The principal a presented secret stands for in `org`, with the org as read in the same
    /// round trip (every SCIM request starts here), or nil for an unknown secret or another
    /// org's token. "Last used" is recorded at most once a minute.
    func authorization(secret: String, org: String) async throws -> Authorization?

    // MARK: Console

    /// The org's console settings: its IdP, admin group and admin emails (empty until set).
    func consoleSettings(org: String) async throws -> ConsoleSettings
    /// Sets the org's IdP and/or console admin group in one audited transaction: nil leaves a
    /// value as it is, an admin group of "" removes it. Values are checked by
    /// `ConsoleSettingsRules` (`.invalidValue` naming the field); nodes see no change.
    func updateConsoleSettings(org: String, identityProvider: ConsoleIdentityProvider?, adminGroup: String?,
                               actor: String) async throws -> ConsoleSettings
    /// Names a console admin by email (compared in lower case); `.alreadyExists` when listed.
    func addConsoleAdmin(org: String, email: String, actor: String) async throws
    /// `.notFound` when the email is not listed.
    func removeConsoleAdmin(org: String, email: String, actor: String) async throws

    // MARK: Users

    func user(org: Org, id: String) async throws -> StoredUser
    /// Users narrowed by an indexed lookup, in stable (creation) order.
    func users(org: Org, lookup: UserLookup) async throws -> [StoredUser]
    /// The number of users and one page of them, in stable order.
    func userPage(org: Org, page: Page) async throws -> (total: Int, users: [StoredUser])
    /// Stores a new user: uniqueness checks, defaults and id allocation in one transaction.
    func createUser(org: Org, draft: UserDraft, actor: String) async throws -> StoredUser
    /// Replaces a user with what `transform` makes of the stored one (PUT, PATCH).
    func updateUser(org: Org, id: String, ifMatch: String?, actor: String, method: String,
                    transform: @escaping @Sendable (StoredUser) throws -> UserDraft) async throws -> StoredUser
    /// Deletes a user and its memberships (the groups it leaves get a new version).
    func deleteUser(org: Org, id: String, ifMatch: String?, actor: String) async throws

    // MARK: Groups

    /// One group; without `members` its member list is not read (and is empty).
    func group(org: Org, id: String, members: Bool) async throws -> StoredGroup
    /// Groups narrowed by an indexed lookup, in stable order.
    func groups(org: Org, lookup: GroupLookup, members: Bool) async throws -> [StoredGroup]
    /// Stores a new group and its members; every member must be a user of the org.
    func createGroup(org: Org, draft: GroupDraft, actor: String) async throws -> StoredGroup
    /// Applies what `transform` makes of the stored group (its members only with
    /// `readingMembers`); answers with members unless `answerWithMembers` is false.
    func updateGroup(org: Org, id: String, ifMatch: String?, actor: String, method: String, readingMembers: Bool,
                     answerWithMembers: Bool, transform: @escaping @Sendable (StoredGroup) throws -> GroupChange)
        async throws -> StoredGroup
    func deleteGroup(org: Org, id: String, ifMatch: String?, actor: String) async throws

    // MARK: Audit

    /// Records a refused write (successful ones are audited inside their own transaction).
    func audit(org: Org?, actor: String, method: String, resource: String, outcome: String) async throws
    /// Audit entries, newest last, at most `limit`; `since` is an RFC 3339 time.
    func auditEntries(org: String?, since: String?, limit: Int) async throws -> [AuditEntry]

    // MARK: Snapshots and signing

    /// This store's instance id (a restored copy keeps it).
    func instanceID() async throws -> String
    /// The snapshot of the org's current state.
    func snapshot(org: Org) async throws -> SnapshotDocument
    /// What nodes receive: the live snapshot, or the one frozen while provisioning is paused.
    func publishedDocument(org: Org) async throws -> SnapshotDocument
    /// The published document signed with the org's current key, with its ETag.
    func publishedSnapshot(org: Org) async throws -> PublishedSnapshot
    /// A delta between two publications, in a signed envelope under the org's current key.
    func signedDelta(org: Org, _ delta: SnapshotDelta) async throws -> Data
    /// The ETag of the live publication without building it; nil while provisioning is paused.
    func liveETag(org: Org) async throws -> String?
    /// The snapshot captured when provisioning was paused, if it is paused.
    func frozenSnapshot(org: Org) async throws -> Data?
    /// The org's trust lines: the current key, and with `includePrevious` the one before it.
    func trustKeys(org: String, includePrevious: Bool) async throws -> [TrustedKey]
    /// Starts signing with a new key (the old one becomes `previous`); a change nodes see.
    func rotateSigningKey(org: String, actor: String) async throws -> TrustedKey

    // MARK: Change feed

    /// The org's serial now, then each time it moves on (a change nodes can see): what push
    /// delivery to nodes waits on. Values only increase and may be coalesced (a slow consumer
    /// sees the latest serial, not every step); `.orgNotFound` ends the stream when the org does
    /// not exist. The stream stops when its consumer stops iterating. A change written by another
    /// process reaches the stream: on PostgreSQL as its transaction commits (LISTEN/NOTIFY on one
    /// connection per store, re-established when it drops); on SQLite with this process's next
    /// write (GRDB observes only its own process).
    func serials(org: String) -> AsyncThrowingStream<Int64, any Error>

    // MARK: Lifecycle

    /// Readiness: the store answers a trivial read.
    func isReadable() async -> Bool
    /// Flushes and closes; any later use throws.
    func close() async throws
}

extension SQLiteStore: IdentityStore {
    /// The database file.
    public var location: String { path }
}

extension IdentityStore {
    /// The principal a presented secret stands for in `org`, or nil (see `authorization`).
    public func authenticate(secret: String, org: String) async throws -> Principal? {
        try await authorization(secret: secret, org: org)?.principal
    }
}

import Crypto
import Foundation
import PostgresNIO
import SunkModel
import SunkSnapshot
import SunkStore

// Snapshots and signing on PostgreSQL: the engine reads rows, `SnapshotQuery` and `Publication`
// (shared with SQLite) assemble and sign.
extension PostgresStore {
    public func instanceID() async throws -> String {
        try await withConnection { db in try await Self.instanceID(db) }
    }

    static func instanceID(_ db: PostgresConnection) async throws -> String {
        try Publication.instanceID(try await db.row("SELECT instanceid FROM instance WHERE id = 1")?.get("instanceid"))
    }

    static func currentKey(_ db: PostgresConnection, orgID: Int64) async throws -> Curve25519.Signing.PrivateKey {
        try Publication.signingKey(try await db.row("""
            SELECT privatekey FROM signingkey WHERE orgid = \(orgID) AND state = 'current'
            """)?.get("privatekey", as: Data.self))
    }

    /// Makes a new key and records it as the org's current one.
    static func insertCurrentKey(_ db: PostgresConnection, orgID: Int64) async throws -> [UInt8] {
        let key = Publication.newKey()
        try await db.exec("""
            INSERT INTO signingkey (orgid, privatekey, publickey, state, createdat)
            VALUES (\(orgID), \(key.privateKey), \(key.publicKey), 'current', \(StoreClock.now()))
            """)
        return [UInt8](key.publicKey)
    }

    /// Every user and group (with members) of the org, for snapshot assembly.
    static func everything(_ db: PostgresConnection, org: Org) async throws -> ([StoredUser], [StoredGroup]) {
        (try await exportUsers(db, orgID: org.id), try await groups(db, orgID: org.id, lookup: .all, members: true))
    }

    /// Every user of the org as assembly reads them, like the SQLite engine's export load: without
    /// the SCIM document (most of each row's bytes) and without the group list, neither of which a
    /// snapshot carries.
    static func exportUsers(_ db: PostgresConnection, orgID: Int64) async throws -> [StoredUser] {
        let rows = try await db.rows("""
            SELECT id, username, externalid, active, '' AS document, gecos, explicitname, posixname, explicituid,
                   allocateduid, uid, explicitgid, gid, explicithome, home, explicitshell, shell, keys, exportproblem,
                   version, createdat, modifiedat
            FROM scimuser WHERE orgid = \(orgID) ORDER BY seq
            """)
        return try rows.map { try storedUser($0, groups: []) }
    }

    static func document(_ db: PostgresConnection, org: Org) async throws -> SnapshotDocument {
        let (users, groups) = try await everything(db, org: org)
        return SnapshotQuery.document(org: org, users: users, groups: groups)
    }

    static func publishedDocument(_ db: PostgresConnection, orgName: String) async throws -> (Org, SnapshotDocument) {
        let org = try await Self.org(db, named: orgName)
        let frozen = org.provisioning ? nil : try await frozenSnapshot(db, orgID: org.id)
        let live = frozen == nil ? try await document(db, org: org) : nil
        return (org, try Publication.document(org: org, frozen: frozen) {
            guard let live else { throw StoreError.engine("no live snapshot") }
            return live
        })
    }

    public func snapshot(org: Org) async throws -> SnapshotDocument {
        try await read { db in try await Self.document(db, org: try await Self.org(db, named: org.name)) }
    }

    public func publishedDocument(org: Org) async throws -> SnapshotDocument {
        try await read { db in try await Self.publishedDocument(db, orgName: org.name).1 }
    }

    public func publishedSnapshot(org: Org) async throws -> PublishedSnapshot {
        try await read { db in
            let (current, document) = try await Self.publishedDocument(db, orgName: org.name)
            return try Publication.signed(document, org: current.name, instance: try await Self.instanceID(db),
                                          key: try await Self.currentKey(db, orgID: current.id))
        }
    }

    public func signedDelta(org: Org, _ delta: SnapshotDelta) async throws -> Data {
        try await read { db in
            try Publication.signedDelta(delta, org: org.name, instance: try await Self.instanceID(db),
                                        key: try await Self.currentKey(db, orgID: org.id))
        }
    }

    public func liveETag(org: Org) async throws -> String? {
        guard org.provisioning else { return nil }
        return Publication.liveETag(org: org, instance: try await instanceID())
    }

    public func trustKeys(org name: String, includePrevious: Bool) async throws -> [TrustedKey] {
        try await read { db in
            let org = try await Self.org(db, named: name)
            let states = includePrevious ? ["current", "previous"] : ["current"]
            return try await db.rows("""
                SELECT publickey FROM signingkey WHERE orgid = \(org.id) AND state = ANY(\(states))
                ORDER BY state = 'previous', id
                """).map { TrustedKey(publicKey: [UInt8](try $0.get("publickey", as: Data.self)), org: org.name) }
        }
    }

    /// As `SQLiteStore.rotateSigningKey`: current becomes previous, previous retired; nodes see it.
    public func rotateSigningKey(org name: String, actor: String) async throws -> TrustedKey {
        try await mutate(org: name, actor: actor, method: "ORG ROTATE-SIGNING-KEY") { mutation in
            let db = mutation.db
            try await db.exec("UPDATE signingkey SET state = 'retired' WHERE orgid = \(mutation.org.id) AND state = 'previous'")
            try await db.exec("UPDATE signingkey SET state = 'previous' WHERE orgid = \(mutation.org.id) AND state = 'current'")
            let key = TrustedKey(publicKey: try await Self.insertCurrentKey(db, orgID: mutation.org.id), org: name)
            mutation.changed(name, outcome: AuditOutcome.keyRotated(key.publicKey))
            return key
        }
    }
}

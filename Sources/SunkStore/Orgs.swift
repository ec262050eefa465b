import Foundation
import GRDB
import SunkModel
import Synchronization

/// An org: the tenant that an IdP provisions into (`/scim/ORG`), with its switches and policy.
public struct Org: Sendable, Equatable {
    public var id: Int64
    public var name: String
    /// `false` refuses the IdP-facing SCIM API with 403; node reads continue.
    public var scimAPI: Bool
    /// `false` keeps accepting SCIM writes but freezes what nodes receive.
    public var provisioning: Bool
    public var policy: Policy
    /// Bumped by every change nodes could see; the snapshot ETag derives from it.
    public var serial: Int64
    public var createdAt: String
    public var changedAt: String
}

extension Org {
    init(record: OrgRecord) throws {
        try self.init(id: record.id ?? 0, name: record.name, scimAPI: record.scimAPI, provisioning: record.provisioning,
                      policyJSON: record.policy, serial: record.serial, createdAt: record.createdAt,
                      changedAt: record.changedAt)
    }

    /// An org from its stored columns (either engine); the policy is stored as `encode`'s JSON.
    package init(id: Int64, name: String, scimAPI: Bool, provisioning: Bool, policyJSON: String, serial: Int64,
                 createdAt: String, changedAt: String) throws {
        self.id = id
        self.name = name
        self.scimAPI = scimAPI
        self.provisioning = provisioning
        policy = try StoredPolicies.decode(policyJSON)
        self.serial = serial
        self.createdAt = createdAt
        self.changedAt = changedAt
    }

    package static func encode(_ policy: Policy) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(policy), as: UTF8.self)
    }
}

/// Decoded policies by their stored JSON. Every SCIM request reads its org, and decoding the
/// policy was a tenth of a create's time; the JSON is the whole input of the decode, so a policy
/// read again is the same value. Bounded: cleared when it holds more than a few hundred.
enum StoredPolicies {
    private static let decoded = Mutex<[String: Policy]>([:])

    static func decode(_ json: String) throws -> Policy {
        if let known = decoded.withLock({ $0[json] }) { return known }
        let policy = try JSONDecoder().decode(Policy.self, from: Data(json.utf8))
        decoded.withLock { cache in
            if cache.count >= 256 { cache.removeAll() }
            cache[json] = policy
        }
        return policy
    }
}

/// Org names appear in URLs (`/scim/ORG`) and file names: lowercase letters, digits and `-`.
public enum OrgName {
    public static func validate(_ name: String) throws(StoreError) {
        let ok = (1...63).contains(name.utf8.count)
            && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }
            && !name.hasPrefix("-")
        if !ok {
            throw .invalidValue("org name \"\(name)\" must be 1–63 characters of a–z, 0–9 and '-', not starting with '-'")
        }
    }
}

extension SQLiteStore {
    /// The name of the org that `serve` creates on a fresh database and that commands default to.
    public static let defaultOrg = "default"

    public func createOrg(_ name: String, policy: Policy = .default) throws -> Org {
        let policyJSON = try OrgName.checkedPolicy(name, policy)
        return try writeSync { db in
            if try OrgRecord.filter(OrgRecord.Columns.name == name).fetchCount(db) > 0 {
                throw StoreError.alreadyExists("org \"\(name)\"")
            }
            let now = StoreClock.now()
            var record = OrgRecord(id: nil, name: name, scimAPI: true, provisioning: true, policy: policyJSON,
                                   serial: 0, nextUID: nil, nextGID: nil, createdAt: now, changedAt: now)
            try record.insert(db)
            let orgID = record.id ?? db.lastInsertedRowID
            try SigningKeys.insertCurrent(db, orgID: orgID)
            try Audit.record(db, orgID: orgID, actor: "cli", method: "ORG CREATE",
                             resource: name, outcome: AuditOutcome.orgCreated)
            return try Self.org(db, named: name)
        }
    }

    public func orgs() throws -> [Org] {
        try readSync { db in
            try OrgRecord.order(OrgRecord.Columns.name).fetchAll(db).map(Org.init(record:))
        }
    }

    public func org(named name: String) throws -> Org {
        try readSync { db in try Self.org(db, named: name) }
    }

    public func org(named name: String) async throws -> Org {
        try await read { db in try Self.org(db, named: name) }
    }

    static func org(_ db: Database, named name: String) throws -> Org {
        guard let record = try OrgRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM org WHERE name = ?"),
                                                  arguments: [name]) else {
            throw StoreError.orgNotFound(name)
        }
        return try Org(record: record)
    }

    /// Changes an org's switches and policy in one transaction. A policy change is a change that
    /// nodes see (new serial). Turning provisioning off captures the snapshot nodes keep receiving.
    ///
    /// A policy that would refuse stored users or groups the current policy exports is refused
    /// (`.invalidValue`, listing them) unless `force`: with `force` those entries become "not
    /// exported" with the reason, and the rest of the snapshot keeps reaching the nodes.
    public func updateOrg(
        _ name: String, scimAPI: Bool? = nil, provisioning: Bool? = nil,
        policy: Policy? = nil, force: Bool = false, actor: String = "cli"
    ) throws -> Org {
        if let policy { try policy.validate() }
        return try mutateSync(org: name, actor: actor, method: "ORG SET") { mutation in
            let db = mutation.db
            var org = mutation.org
            var changes: [String] = []
            if let scimAPI, scimAPI != org.scimAPI {
                try OrgRecord.filter(key: org.id).updateAll(db, OrgRecord.Columns.scimAPI.set(to: scimAPI))
                changes.append(AuditOutcome.scimAPI(scimAPI))
            }
            if let policy, policy != org.policy {
                let stranded = try Self.newRefusals(db, org: org, policy: policy)
                if !stranded.isEmpty && !force {
                    throw StoreError.invalidValue(PolicyChange.refusal(org: name, stranded))
                }
                try OrgRecord.filter(key: org.id).updateAll(db, OrgRecord.Columns.policy.set(to: try Org.encode(policy)))
                // Now, not at the end: a snapshot frozen below carries the new serial.
                try mutation.bumpSerialNow()
                changes.append(AuditOutcome.policy(stranded: stranded))
            }
            if let provisioning, provisioning != org.provisioning {
                var frozen: Data? = nil
                if !provisioning {
                    org = try Self.org(db, named: name)
                    frozen = try SnapshotQuery.document(db, org: org).encoded()
                }
                try OrgRecord.filter(key: org.id).updateAll(
                    db, OrgRecord.Columns.provisioning.set(to: provisioning), OrgRecord.Columns.frozenSnapshot.set(to: frozen))
                changes.append(AuditOutcome.provisioning(provisioning))
            }
            if !changes.isEmpty {
                // A switch is not something nodes see (no serial of its own), but it is the org's
                // last change.
                try OrgRecord.filter(key: org.id).updateAll(db, OrgRecord.Columns.changedAt.set(to: StoreClock.now()))
                mutation.changed(name, outcome: changes.joined(separator: ", "), visibleToNodes: false)
            }
            return try Self.org(db, named: name)
        }
    }

    /// The snapshot captured when provisioning was paused, if it is paused.
    public func frozenSnapshot(org: Org) async throws -> Data? {
        let id = org.id
        return try await read { db in try Self.frozenSnapshot(db, orgID: id) }
    }

    public func frozenSnapshotSync(org: Org) throws -> Data? {
        try readSync { db in try Self.frozenSnapshot(db, orgID: org.id) }
    }

    static func frozenSnapshot(_ db: Database, orgID: Int64) throws -> Data? {
        try OrgRecord.filter(key: orgID).select(OrgRecord.Columns.frozenSnapshot, as: Data.self).fetchOne(db)
    }

    /// Records a change nodes can see: a new serial (and so a new snapshot ETag) and its time.
    static func bumpSerial(_ db: Database, orgID: Int64) throws {
        try db.cachedStatement(sql: "UPDATE org SET serial = serial + 1, changedAt = ? WHERE id = ?")
            .execute(arguments: [StoreClock.now(), orgID])
    }
}

extension OrgName {
    /// Checks a new org's name and policy; the policy as stored (`Org.encode`).
    package static func checkedPolicy(_ name: String, _ policy: Policy) throws -> String {
        try validate(name)
        try policy.validate()
        return try Org.encode(policy)
    }
}

/// The message of a refused policy change.
public enum PolicyChange {
    public static func refusal(org: String, _ stranded: [ExportRefusal]) -> String {
        var lines = ["policy change refused: it would stop exporting \(stranded.count) stored "
            + "\(stranded.count == 1 ? "entry" : "entries") of org \(org) that nodes receive now "
            + "(every node refuses a snapshot with an entry its policy forbids, so these are left out instead):"]
        for entry in stranded.prefix(50) { lines.append("  \(entry)") }
        if stranded.count > 50 { lines.append("  … and \(stranded.count - 50) more") }
        lines.append("fix them in the identity provider first, or apply the change anyway with --force "
            + "(they become \"not exported\" with the reason: users list, groups list, the snapshot's skipped list)")
        return lines.joined(separator: "\n")
    }
}

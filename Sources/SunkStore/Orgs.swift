import Foundation
import GRDB
import SunkModel

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
    init(row: Row) throws {
        id = row["id"]
        name = row["name"]
        scimAPI = row["scimAPI"]
        provisioning = row["provisioning"]
        let policyJSON: String = row["policy"]
        policy = try JSONDecoder().decode(Policy.self, from: Data(policyJSON.utf8))
        serial = row["serial"]
        createdAt = row["createdAt"]
        changedAt = row["changedAt"]
    }

    static func encode(_ policy: Policy) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(policy), as: UTF8.self)
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

extension SunkDatabase {
    /// The name of the org that `serve` creates on a fresh database and that commands default to.
    public static let defaultOrg = "default"

    public func createOrg(_ name: String, policy: Policy = .default) throws -> Org {
        try OrgName.validate(name)
        try policy.validate()
        let policyJSON = try Org.encode(policy)
        return try writeSync { db in
            if try Row.fetchOne(db, sql: "SELECT 1 FROM org WHERE name = ?", arguments: [name]) != nil {
                throw StoreError.alreadyExists("org \"\(name)\"")
            }
            let now = Clock.now()
            try db.execute(
                sql: "INSERT INTO org (name, policy, createdAt, changedAt) VALUES (?, ?, ?, ?)",
                arguments: [name, policyJSON, now, now])
            let orgID = db.lastInsertedRowID
            try SigningKeys.insertCurrent(db, orgID: orgID)
            try Audit.record(db, orgID: orgID, actor: "cli", method: "ORG CREATE",
                             resource: name, outcome: "created")
            return try Self.org(db, named: name)
        }
    }

    public func orgs() throws -> [Org] {
        try readSync { db in
            try Row.fetchAll(db, sql: "SELECT * FROM org ORDER BY name").map(Org.init(row:))
        }
    }

    public func org(named name: String) throws -> Org {
        try readSync { db in try Self.org(db, named: name) }
    }

    public func org(named name: String) async throws -> Org {
        try await read { db in try Self.org(db, named: name) }
    }

    static func org(_ db: Database, named name: String) throws -> Org {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM org WHERE name = ?", arguments: [name]) else {
            throw StoreError.orgNotFound(name)
        }
        return try Org(row: row)
    }

    /// Changes an org's switches and policy in one transaction. A policy change is a change that
    /// nodes see (new serial). Turning provisioning off captures the snapshot nodes keep receiving.
    ///
    /// A policy that would refuse stored users or groups the current policy exports is refused
    /// (`.invalidValue`, listing them) unless `force`: with `force` those entries become "not
    /// exported" with the reason, and the rest of the snapshot keeps reaching the nodes.
    public func updateOrg(
        _ name: String, scimAPI: Bool? = nil, provisioning: Bool? = nil,
        policy: Policy? = nil, force: Bool = false
    ) throws -> Org {
        if let policy { try policy.validate() }
        return try writeSync { db in
            var org = try Self.org(db, named: name)
            var changes: [String] = []
            if let scimAPI, scimAPI != org.scimAPI {
                try db.execute(sql: "UPDATE org SET scimAPI = ? WHERE id = ?", arguments: [scimAPI, org.id])
                changes.append("scim-api \(scimAPI ? "on" : "off")")
            }
            if let policy, policy != org.policy {
                let stranded = try Self.newRefusals(db, org: org, policy: policy)
                if !stranded.isEmpty && !force {
                    throw StoreError.invalidValue(PolicyChange.refusal(org: name, stranded))
                }
                try db.execute(sql: "UPDATE org SET policy = ? WHERE id = ?",
                               arguments: [try Org.encode(policy), org.id])
                try Self.bumpSerial(db, orgID: org.id)
                changes.append(stranded.isEmpty ? "policy"
                               : "policy (forced: \(stranded.count) entries no longer exported: "
                                 + stranded.map { "\($0.kind.rawValue) \($0.name)" }.joined(separator: ", ") + ")")
            }
            if let provisioning, provisioning != org.provisioning {
                var frozen: Data? = nil
                if !provisioning {
                    org = try Self.org(db, named: name)
                    frozen = try SnapshotQuery.document(db, org: org).encoded()
                }
                try db.execute(sql: "UPDATE org SET provisioning = ?, frozenSnapshot = ? WHERE id = ?",
                               arguments: [provisioning, frozen, org.id])
                changes.append("provisioning \(provisioning ? "on" : "off")")
            }
            if !changes.isEmpty {
                try db.execute(sql: "UPDATE org SET changedAt = ? WHERE id = ?", arguments: [Clock.now(), org.id])
                try Audit.record(db, orgID: org.id, actor: "cli", method: "ORG SET", resource: name,
                                 outcome: changes.joined(separator: ", "))
            }
            return try Self.org(db, named: name)
        }
    }

    /// The snapshot captured when provisioning was paused, if it is paused.
    public func frozenSnapshot(org: Org) async throws -> Data? {
        let id = org.id
        return try await read { db in try Self.frozenSnapshot(db, orgID: id) }
    }

    /// Records a change nodes can see: a new serial (and so a new snapshot ETag) and its time.
    public func frozenSnapshotSync(org: Org) throws -> Data? {
        try readSync { db in try Self.frozenSnapshot(db, orgID: org.id) }
    }

    static func frozenSnapshot(_ db: Database, orgID: Int64) throws -> Data? {
        try Data.fetchOne(db, sql: "SELECT frozenSnapshot FROM org WHERE id = ?", arguments: [orgID])
    }

    static func bumpSerial(_ db: Database, orgID: Int64) throws {
        try db.execute(sql: "UPDATE org SET serial = serial + 1, changedAt = ? WHERE id = ?",
                       arguments: [Clock.now(), orgID])
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

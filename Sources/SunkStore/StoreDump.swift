import Foundation
import GRDB

/// Every row of a store, engine-neutral: what `migrate-store` copies from SQLite into
/// PostgreSQL with every id, serial, allocation cursor, token hash, signing key and audit row
/// kept. Users and groups are in creation order (the order listings use).
package struct StoreDump: Sendable {
    package struct OrgRow: Sendable {
        package var id: Int64, name: String, scimAPI: Bool, provisioning: Bool, policy: String, serial: Int64
        package var frozenSnapshot: Data?, nextUID: Int64?, nextGID: Int64?, createdAt: String, changedAt: String
    }
    package struct TokenRow: Sendable {
        package var orgID: Int64, name: String, scope: String, secretHash: Data, createdAt: String, lastUsedAt: String?
    }
    package struct UserRow: Sendable {
        package var id: String, orgID: Int64, user: ResolvedUser, version: Int64, createdAt: String, modifiedAt: String
    }
    package struct GroupRow: Sendable {
        package var id: String, orgID: Int64, displayName: String, externalID: String?, document: String
        package var posixName: String, gid: Int64, version: Int64, createdAt: String, modifiedAt: String
    }
    package struct AuditRow: Sendable {
        package var id: Int64, orgID: Int64?, at: String, actor: String, method: String, resource: String
        package var outcome: String
    }
    package struct ConsoleRow: Sendable {
        package var orgID: Int64, ssoURL: String?, entityID: String?, certificate: String?, adminGroup: String?
        package var changedAt: String
    }
    package struct ConsoleAdminRow: Sendable {
        package var orgID: Int64, email: String, createdAt: String
    }
    package struct KeyRow: Sendable {
        package var orgID: Int64, privateKey: Data, publicKey: Data, state: String, createdAt: String
    }

    package var instanceID: String
    package var orgs: [OrgRow] = []
    package var tokens: [TokenRow] = []
    package var users: [UserRow] = []
    package var groups: [GroupRow] = []
    package var memberships: [(groupID: String, userID: String)] = []
    package var audit: [AuditRow] = []
    package var keys: [KeyRow] = []
    package var console: [ConsoleRow] = []
    package var consoleAdmins: [ConsoleAdminRow] = []
}

extension SQLiteStore {
    /// Every row, read in one transaction (a consistent copy while a server writes).
    package func dump() throws -> StoreDump {
        try readSync { db in
            var dump = StoreDump(instanceID: try SigningKeys.instanceID(db))
            for org in try OrgRecord.order(OrgRecord.Columns.id).fetchAll(db) {
                let id = org.id ?? 0
                dump.orgs.append(.init(
                    id: id, name: org.name, scimAPI: org.scimAPI, provisioning: org.provisioning, policy: org.policy,
                    serial: org.serial, frozenSnapshot: try Self.frozenSnapshot(db, orgID: id), nextUID: org.nextUID,
                    nextGID: org.nextGID, createdAt: org.createdAt, changedAt: org.changedAt))
            }
            dump.tokens = try TokenRecord.order(Column.rowID).fetchAll(db).map {
                .init(orgID: $0.orgID, name: $0.name, scope: $0.scope, secretHash: $0.secretHash,
                      createdAt: $0.createdAt, lastUsedAt: $0.lastUsedAt)
            }
            dump.users = try UserRecord.order(Column.rowID).fetchAll(db).map {
                .init(id: $0.id, orgID: $0.orgID, user: $0.resolved, version: $0.version, createdAt: $0.createdAt,
                      modifiedAt: $0.modifiedAt)
            }
            dump.groups = try GroupRecord.order(Column.rowID).fetchAll(db).map {
                .init(id: $0.id, orgID: $0.orgID, displayName: $0.displayName, externalID: $0.externalID,
                      document: $0.document, posixName: $0.posixName, gid: $0.gid, version: $0.version,
                      createdAt: $0.createdAt, modifiedAt: $0.modifiedAt)
            }
            dump.memberships = try MembershipRecord.fetchAll(db).map { ($0.groupID, $0.userID) }
            dump.audit = try AuditRecord.order(AuditRecord.Columns.id).fetchAll(db).map {
                .init(id: $0.id ?? 0, orgID: $0.orgID, at: $0.at, actor: $0.actor, method: $0.method,
                      resource: $0.resource, outcome: $0.outcome)
            }
            dump.keys = try SigningKeyRecord.order(SigningKeyRecord.Columns.id).fetchAll(db).map {
                .init(orgID: $0.orgID, privateKey: $0.privateKey, publicKey: $0.publicKey, state: $0.state,
                      createdAt: $0.createdAt)
            }
            dump.console = try Row.fetchAll(db, sql: "SELECT * FROM consoleSettings ORDER BY orgID").map {
                .init(orgID: $0["orgID"], ssoURL: $0["idpSSOURL"], entityID: $0["idpEntityID"],
                      certificate: $0["idpCertificate"], adminGroup: $0["adminGroup"], changedAt: $0["changedAt"])
            }
            dump.consoleAdmins = try Row.fetchAll(db, sql: "SELECT * FROM consoleAdmin ORDER BY orgID, email").map {
                .init(orgID: $0["orgID"], email: $0["email"], createdAt: $0["createdAt"])
            }
            return dump
        }
    }
}

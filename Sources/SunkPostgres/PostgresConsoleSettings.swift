import Foundation
import PostgresNIO
import SunkStore

/// As `SQLiteConsoleSettings`: the same checks and audit texts (`ConsoleSettingsChange`), in SQL.
extension PostgresStore {
    public func consoleSettings(org name: String) async throws -> ConsoleSettings {
        try await read { db in try await Self.consoleSettings(db, org: try await Self.org(db, named: name).id) }
    }

    static func consoleSettings(_ db: PostgresConnection, org orgID: Int64) async throws -> ConsoleSettings {
        var settings = ConsoleSettings()
        if let row = try await db.row("""
            SELECT idpssourl, idpentityid, idpcertificate, admingroup FROM consolesettings WHERE orgid = \(orgID)
            """) {
            if let sso = try row.get("idpssourl", as: String?.self), let entityID = try row.get("idpentityid", as: String?.self),
               let pem = try row.get("idpcertificate", as: String?.self) {
                settings.identityProvider = ConsoleIdentityProvider(ssoURL: sso, entityID: entityID, certificatePEM: pem)
            }
            settings.adminGroup = try row.get("admingroup", as: String?.self)
        }
        settings.adminEmails = try await db.rows("SELECT email FROM consoleadmin WHERE orgid = \(orgID) ORDER BY email")
            .map { try $0.get("email", as: String.self) }
        return settings
    }

    public func updateConsoleSettings(org name: String, identityProvider: ConsoleIdentityProvider?,
                                      adminGroup: String?, actor: String) async throws -> ConsoleSettings {
        let requested = try ConsoleSettingsChange(identityProvider: identityProvider, adminGroup: adminGroup)
        return try await mutate(org: name, actor: actor, method: ConsoleSettingsChange.method) { mutation in
            let db = mutation.db, orgID = mutation.org.id
            guard let (change, outcome) = requested.against(try await Self.consoleSettings(db, org: orgID)) else {
                return try await Self.consoleSettings(db, org: orgID)
            }
            let now = StoreClock.now()
            try await db.exec("""
                INSERT INTO consolesettings (orgid, changedat) VALUES (\(orgID), \(now)) ON CONFLICT (orgid) DO NOTHING
                """)
            if let idp = change.identityProvider {
                try await db.exec("""
                    UPDATE consolesettings SET idpssourl = \(idp.ssoURL), idpentityid = \(idp.entityID),
                        idpcertificate = \(idp.certificatePEM), changedat = \(now) WHERE orgid = \(orgID)
                    """)
            }
            if let group = change.adminGroup {
                try await db.exec("UPDATE consolesettings SET admingroup = \(group), changedat = \(now) WHERE orgid = \(orgID)")
            }
            mutation.changed("console", outcome: outcome, visibleToNodes: false)
            return try await Self.consoleSettings(db, org: orgID)
        }
    }

    public func addConsoleAdmin(org name: String, email: String, actor: String) async throws {
        let email = try ConsoleSettingsRules.email(email)
        try await mutate(org: name, actor: actor, method: ConsoleSettingsChange.addAdmin) { mutation in
            let inserted = try await mutation.db.rows("""
                INSERT INTO consoleadmin (orgid, email, createdat) VALUES (\(mutation.org.id), \(email), \(StoreClock.now()))
                ON CONFLICT (orgid, email) DO NOTHING RETURNING email
                """)
            guard inserted.count == 1 else { throw ConsoleSettingsChange.adminExists(email, org: name) }
            mutation.changed(email, outcome: "added", visibleToNodes: false)
        }
    }

    public func removeConsoleAdmin(org name: String, email: String, actor: String) async throws {
        let email = try ConsoleSettingsRules.email(email)
        try await mutate(org: name, actor: actor, method: ConsoleSettingsChange.removeAdmin) { mutation in
            let deleted = try await mutation.db.rows("""
                DELETE FROM consoleadmin WHERE orgid = \(mutation.org.id) AND email = \(email) RETURNING email
                """)
            guard deleted.count == 1 else { throw ConsoleSettingsChange.adminMissing(email, org: name) }
            mutation.changed(email, outcome: "removed", visibleToNodes: false)
        }
    }
}

import GRDB

extension SQLiteStore {
    /// The org's console settings (empty ones when never set); `.orgNotFound` for no org.
    public func consoleSettings(org name: String) async throws -> ConsoleSettings {
        try await read { db in try Self.consoleSettings(db, org: try Self.org(db, named: name).id) }
    }

    static func consoleSettings(_ db: Database, org orgID: Int64) throws -> ConsoleSettings {
        var settings = ConsoleSettings()
        if let row = try Row.fetchOne(db, sql: """
            SELECT idpSSOURL, idpEntityID, idpCertificate, adminGroup FROM consoleSettings WHERE orgID = ?
            """, arguments: [orgID]) {
            if let sso: String = row["idpSSOURL"], let entityID: String = row["idpEntityID"],
               let pem: String = row["idpCertificate"] {
                settings.identityProvider = ConsoleIdentityProvider(ssoURL: sso, entityID: entityID, certificatePEM: pem)
            }
            settings.adminGroup = row["adminGroup"]
        }
        settings.adminEmails = try String.fetchAll(
            db, sql: "SELECT email FROM consoleAdmin WHERE orgID = ? ORDER BY email", arguments: [orgID])
        return settings
    }

    /// Sets the org's IdP and/or console admin group (nil leaves a value as it is; an admin group
    /// of "" removes it), checked by `ConsoleSettingsRules`, audited as `actor` in the same
    /// transaction. Nodes see nothing of it (no new serial).
    public func updateConsoleSettings(org name: String, identityProvider: ConsoleIdentityProvider?,
                                      adminGroup: String?, actor: String) async throws -> ConsoleSettings {
        let requested = try ConsoleSettingsChange(identityProvider: identityProvider, adminGroup: adminGroup)
        return try await mutate(org: name, actor: actor, method: ConsoleSettingsChange.method) { mutation in
            let db = mutation.db, orgID = mutation.org.id
            guard let (change, outcome) = requested.against(try Self.consoleSettings(db, org: orgID)) else {
                return try Self.consoleSettings(db, org: orgID)
            }
            let now = StoreClock.now()
            try db.execute(sql: "INSERT OR IGNORE INTO consoleSettings (orgID, changedAt) VALUES (?, ?)",
                           arguments: [orgID, now])
            if let idp = change.identityProvider {
                try db.execute(sql: """
                    UPDATE consoleSettings SET idpSSOURL = ?, idpEntityID = ?, idpCertificate = ?, changedAt = ?
                    WHERE orgID = ?
                    """, arguments: [idp.ssoURL, idp.entityID, idp.certificatePEM, now, orgID])
            }
            if let group = change.adminGroup {
                try db.execute(sql: "UPDATE consoleSettings SET adminGroup = ?, changedAt = ? WHERE orgID = ?",
                               arguments: [group, now, orgID])
            }
            mutation.changed("console", outcome: outcome, visibleToNodes: false)
            return try Self.consoleSettings(db, org: orgID)
        }
    }

    /// Names a console admin by email (stored lower case); `.alreadyExists` when listed.
    public func addConsoleAdmin(org name: String, email: String, actor: String) async throws {
        let email = try ConsoleSettingsRules.email(email)
        try await mutate(org: name, actor: actor, method: ConsoleSettingsChange.addAdmin) { mutation in
            let db = mutation.db
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM consoleAdmin WHERE orgID = ? AND email = ?",
                                 arguments: [mutation.org.id, email]) ?? false {
                throw ConsoleSettingsChange.adminExists(email, org: name)
            }
            try db.execute(sql: "INSERT INTO consoleAdmin (orgID, email, createdAt) VALUES (?, ?, ?)",
                           arguments: [mutation.org.id, email, StoreClock.now()])
            mutation.changed(email, outcome: "added", visibleToNodes: false)
        }
    }

    /// Removes a console admin email; `.notFound` when it is not listed.
    public func removeConsoleAdmin(org name: String, email: String, actor: String) async throws {
        let email = try ConsoleSettingsRules.email(email)
        try await mutate(org: name, actor: actor, method: ConsoleSettingsChange.removeAdmin) { mutation in
            try mutation.db.execute(sql: "DELETE FROM consoleAdmin WHERE orgID = ? AND email = ?",
                                    arguments: [mutation.org.id, email])
            guard mutation.db.changesCount == 1 else { throw ConsoleSettingsChange.adminMissing(email, org: name) }
            mutation.changed(email, outcome: "removed", visibleToNodes: false)
        }
    }
}

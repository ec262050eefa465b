import Foundation
import PostgresNIO
import SunkStore

extension PostgresStore {
    /// Copies `dump` (an SQLite store's rows, `SQLiteStore.dump()`) into this database, which must
    /// hold no org yet, in one transaction: every id, serial, allocation cursor, token hash,
    /// signing key, audit row, console setting and the instance id are kept, so nodes see the same publications.
    /// The identity sequences move past the copied ids.
    package func load(_ dump: StoreDump) async throws {
        try await transaction { db in
            try await db.exec("LOCK TABLE org IN EXCLUSIVE MODE")
            if try await db.row("SELECT 1 AS found FROM org LIMIT 1") != nil {
                throw StoreError.invalidValue("the PostgreSQL database \(location) already holds orgs: migrate-store copies into an empty database only")
            }
            try await db.exec("UPDATE instance SET instanceid = \(dump.instanceID) WHERE id = 1")
            for org in dump.orgs {
                try await db.exec("""
                    INSERT INTO org (id, name, scimapi, provisioning, policy, serial, frozensnapshot, nextuid, nextgid,
                        createdat, changedat) OVERRIDING SYSTEM VALUE
                    VALUES (\(org.id), \(org.name), \(org.scimAPI), \(org.provisioning), \(org.policy), \(org.serial),
                        \(org.frozenSnapshot), \(org.nextUID), \(org.nextGID), \(org.createdAt), \(org.changedAt))
                    """)
            }
            for key in dump.keys {
                try await db.exec("""
                    INSERT INTO signingkey (orgid, privatekey, publickey, state, createdat)
                    VALUES (\(key.orgID), \(key.privateKey), \(key.publicKey), \(key.state), \(key.createdAt))
                    """)
            }
            for token in dump.tokens {
                try await db.exec("""
                    INSERT INTO token (orgid, name, scope, secrethash, createdat, lastusedat)
                    VALUES (\(token.orgID), \(token.name), \(token.scope), \(token.secretHash), \(token.createdAt),
                        \(token.lastUsedAt))
                    """)
            }
            for user in dump.users {
                try await Self.write(user.user, id: user.id, version: user.version, createdAt: user.createdAt,
                                     modifiedAt: user.modifiedAt, orgID: user.orgID, db, insert: true)
            }
            for group in dump.groups {
                try await db.exec("""
                    INSERT INTO scimgroup (id, orgid, displayname, displaynamekey, externalid, document, posixname,
                        gid, version, createdat, modifiedat)
                    VALUES (\(group.id), \(group.orgID), \(group.displayName),
                        \(GroupRules.displayNameKey(group.displayName)), \(group.externalID), \(group.document),
                        \(group.posixName), \(group.gid), \(group.version), \(group.createdAt), \(group.modifiedAt))
                    """)
            }
            for (groupID, members) in Dictionary(grouping: dump.memberships, by: \.groupID) {
                try await db.exec("""
                    INSERT INTO membership (groupid, userid) SELECT \(groupID), unnest(\(members.map(\.userID))::text[])
                    """)
            }
            for entry in dump.audit {
                try await db.exec("""
                    INSERT INTO audit (id, orgid, at, actor, method, resource, outcome) OVERRIDING SYSTEM VALUE
                    VALUES (\(entry.id), \(entry.orgID), \(entry.at), \(entry.actor), \(entry.method),
                        \(entry.resource), \(entry.outcome))
                    """)
            }
            for row in dump.console {
                try await db.exec("""
                    INSERT INTO consolesettings (orgid, idpssourl, idpentityid, idpcertificate, admingroup, changedat)
                    VALUES (\(row.orgID), \(row.ssoURL), \(row.entityID), \(row.certificate), \(row.adminGroup),
                        \(row.changedAt))
                    """)
            }
            for admin in dump.consoleAdmins {
                try await db.exec("""
                    INSERT INTO consoleadmin (orgid, email, createdat) VALUES (\(admin.orgID), \(admin.email), \(admin.createdAt))
                    """)
            }
            for table in ["org", "audit"] {
                try await db.exec(PostgresQuery(unsafeSQL: """
                    SELECT setval(pg_get_serial_sequence('\(table)', 'id'), max(id)) FROM \(table) HAVING max(id) IS NOT NULL
                    """))
            }
        }
    }
}

import Crypto
import GRDB

/// Append-only schema history. Never edit a registered migration: add a new one.
/// Schema invariants (NOT NULL, uniqueness, foreign keys, enumerations) live in SQLite itself,
/// so a bug in Swift code cannot store an inconsistent row.
package enum Migrations {
    /// The schema's history, oldest first: every engine registers these identifiers and no others,
    /// so `schema_migrations`/`grdb_migrations` say the same of two databases at the same version.
    package static let v1 = "v1-orgs-tokens-users-groups"
    package static let v2 = "v2-instance-signing-keys"
    package static let v3 = "v3-console-settings"
    package static let identifiers = [v1, v2, v3]

    /// Refuses a database that has migrations this build does not know (a newer sunk-bridge wrote it).
    package static func refuseNewer(applied: some Sequence<String>) throws {
        let unknown = Set(applied).subtracting(identifiers)
        if !unknown.isEmpty { throw StoreError.newerSchema(unknown.sorted()) }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(v1) { db in
            try db.execute(sql: """
                CREATE TABLE org (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE
                        CHECK (length(name) BETWEEN 1 AND 63 AND name NOT GLOB '*[^a-z0-9-]*'),
                    scimAPI INTEGER NOT NULL DEFAULT 1 CHECK (scimAPI IN (0, 1)),
                    provisioning INTEGER NOT NULL DEFAULT 1 CHECK (provisioning IN (0, 1)),
                    policy TEXT NOT NULL,
                    serial INTEGER NOT NULL DEFAULT 0 CHECK (serial >= 0),
                    -- the snapshot nodes receive while provisioning is paused
                    frozenSnapshot BLOB,
                    nextUID INTEGER,
                    nextGID INTEGER,
                    createdAt TEXT NOT NULL,
                    changedAt TEXT NOT NULL
                );
                CREATE TABLE token (
                    id INTEGER PRIMARY KEY,
                    orgID INTEGER NOT NULL REFERENCES org(id) ON DELETE CASCADE,
                    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
                    scope TEXT NOT NULL CHECK (scope IN ('scim', 'node')),
                    secretHash BLOB NOT NULL UNIQUE CHECK (length(secretHash) = 32),
                    createdAt TEXT NOT NULL,
                    lastUsedAt TEXT,
                    UNIQUE (orgID, name)
                );
                CREATE TABLE scimUser (
                    id TEXT PRIMARY KEY NOT NULL,
                    orgID INTEGER NOT NULL REFERENCES org(id) ON DELETE CASCADE,
                    userName TEXT NOT NULL CHECK (length(userName) > 0),
                    userNameKey TEXT NOT NULL,
                    externalID TEXT,
                    active INTEGER NOT NULL CHECK (active IN (0, 1)),
                    document TEXT NOT NULL,
                    gecos TEXT NOT NULL,
                    explicitName TEXT,
                    posixName TEXT,
                    explicitUID INTEGER,
                    allocatedUID INTEGER,
                    uid INTEGER NOT NULL CHECK (uid >= 1000),
                    explicitGID INTEGER,
                    gid INTEGER NOT NULL CHECK (gid >= 1000),
                    explicitHome TEXT,
                    home TEXT,
                    explicitShell TEXT,
                    shell TEXT NOT NULL,
                    keys TEXT NOT NULL,
                    exportProblem TEXT,
                    version INTEGER NOT NULL CHECK (version >= 1),
                    createdAt TEXT NOT NULL,
                    modifiedAt TEXT NOT NULL,
                    UNIQUE (orgID, userNameKey),
                    CHECK ((posixName IS NULL) = (home IS NULL)),
                    CHECK ((posixName IS NULL) = (exportProblem IS NOT NULL))
                );
                CREATE UNIQUE INDEX scimUserPosixName ON scimUser(orgID, posixName) WHERE posixName IS NOT NULL;
                CREATE UNIQUE INDEX scimUserUID ON scimUser(orgID, uid);
                CREATE UNIQUE INDEX scimUserHome ON scimUser(orgID, home) WHERE home IS NOT NULL;
                CREATE INDEX scimUserExternalID ON scimUser(orgID, externalID);
                CREATE TABLE scimGroup (
                    id TEXT PRIMARY KEY NOT NULL,
                    orgID INTEGER NOT NULL REFERENCES org(id) ON DELETE CASCADE,
                    displayName TEXT NOT NULL CHECK (length(displayName) > 0),
                    displayNameKey TEXT NOT NULL,
                    externalID TEXT,
                    document TEXT NOT NULL,
                    posixName TEXT NOT NULL,
                    gid INTEGER NOT NULL CHECK (gid >= 1000),
                    version INTEGER NOT NULL CHECK (version >= 1),
                    createdAt TEXT NOT NULL,
                    modifiedAt TEXT NOT NULL,
                    UNIQUE (orgID, displayNameKey),
                    UNIQUE (orgID, posixName),
                    UNIQUE (orgID, gid)
                );
                CREATE TABLE membership (
                    groupID TEXT NOT NULL REFERENCES scimGroup(id) ON DELETE CASCADE,
                    userID TEXT NOT NULL REFERENCES scimUser(id) ON DELETE CASCADE,
                    PRIMARY KEY (groupID, userID)
                ) WITHOUT ROWID;
                CREATE INDEX membershipUser ON membership(userID);
                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY,
                    orgID INTEGER REFERENCES org(id) ON DELETE SET NULL,
                    at TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    method TEXT NOT NULL,
                    resource TEXT NOT NULL,
                    outcome TEXT NOT NULL
                );
                CREATE INDEX auditOrgAt ON audit(orgID, at);
                """)
        }
        migrator.registerMigration(v2) { db in
            // The instance id tells nodes which database published a snapshot (a restored copy keeps
            // it: that is how a node recognises a rollback). Signing keys never leave the database.
            try db.execute(sql: """
                CREATE TABLE instance (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    instanceID TEXT NOT NULL
                        CHECK (length(instanceID) = 32 AND instanceID NOT GLOB '*[^0-9a-f]*'),
                    createdAt TEXT NOT NULL
                );
                CREATE TABLE signingKey (
                    id INTEGER PRIMARY KEY,
                    orgID INTEGER NOT NULL REFERENCES org(id) ON DELETE CASCADE,
                    privateKey BLOB NOT NULL CHECK (length(privateKey) = 32),
                    publicKey BLOB NOT NULL UNIQUE CHECK (length(publicKey) = 32),
                    state TEXT NOT NULL CHECK (state IN ('current', 'previous', 'retired')),
                    createdAt TEXT NOT NULL
                );
                CREATE UNIQUE INDEX signingKeyCurrent ON signingKey(orgID) WHERE state = 'current';
                CREATE UNIQUE INDEX signingKeyPrevious ON signingKey(orgID) WHERE state = 'previous';
                """)
            try db.execute(sql: "INSERT INTO instance (id, instanceID, createdAt) VALUES (1, ?, ?)",
                           arguments: [SigningKeys.newInstanceID(), StoreClock.now()])
            // Plain SQL, not SigningKeys/records: a record follows the latest schema, and a
            // registered migration must do forever what it did when it was written.
            for orgID in try Int64.fetchAll(db, sql: "SELECT id FROM org") {
                let key = Curve25519.Signing.PrivateKey()
                try db.execute(
                    sql: "INSERT INTO signingKey (orgID, privateKey, publicKey, state, createdAt) VALUES (?, ?, ?, 'current', ?)",
                    arguments: [orgID, key.rawRepresentation, key.publicKey.rawRepresentation, StoreClock.now()])
            }
        }
        migrator.registerMigration(v3) { db in
            // The console's sign-in (the org's IdP: all three values or none) and who may use it.
            // Values are checked by `ConsoleSettingsRules` before they get here; the CHECKs keep
            // the shape whatever writes.
            try db.execute(sql: """
                CREATE TABLE consoleSettings (
                    orgID INTEGER PRIMARY KEY REFERENCES org(id) ON DELETE CASCADE,
                    idpSSOURL TEXT,
                    idpEntityID TEXT,
                    idpCertificate TEXT,
                    adminGroup TEXT CHECK (adminGroup IS NULL OR length(adminGroup) BETWEEN 1 AND 256),
                    changedAt TEXT NOT NULL,
                    CHECK ((idpSSOURL IS NULL) = (idpEntityID IS NULL)
                           AND (idpEntityID IS NULL) = (idpCertificate IS NULL))
                );
                CREATE TABLE consoleAdmin (
                    orgID INTEGER NOT NULL REFERENCES org(id) ON DELETE CASCADE,
                    email TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 320 AND email = lower(email)),
                    createdAt TEXT NOT NULL,
                    PRIMARY KEY (orgID, email)
                ) WITHOUT ROWID;
                """)
        }
        return migrator
    }
}

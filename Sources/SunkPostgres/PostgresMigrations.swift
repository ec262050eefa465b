import Foundation
import PostgresNIO
import SunkStore

/// The schema on PostgreSQL: the same tables, columns and constraints as SQLite's
/// `Migrations`, under the same migration identifiers (recorded in `schema_migrations`).
/// Append-only: never edit a registered migration, add one (and its SQLite twin). Names are
/// unquoted, so PostgreSQL folds them to lowercase. Text that is ordered or compared by range is
/// `COLLATE "C"`: byte order, as SQLite's, whatever the database's locale.
enum PostgresMigrations {
    /// Applies what is missing in one transaction under an advisory lock, so receivers started
    /// together migrate once; refuses a database with migrations this build does not know.
    static func migrate(_ store: PostgresStore) async throws {
        try await store.transaction { db in
            // A constant key: "sunk-bridge schema" (any receiver migrating waits here).
            try await db.exec("SELECT pg_advisory_xact_lock(7716261234)")
            try await db.exec("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    identifier TEXT PRIMARY KEY, appliedat TEXT NOT NULL)
                """)
            let applied = try await db.rows("SELECT identifier FROM schema_migrations")
                .map { try $0.get("identifier", as: String.self) }
            try Migrations.refuseNewer(applied: applied)
            for identifier in Migrations.identifiers where !applied.contains(identifier) {
                try await apply(identifier, db)
                try await db.exec("INSERT INTO schema_migrations (identifier, appliedat) VALUES (\(identifier), \(StoreClock.now()))")
            }
        }
    }

    static func apply(_ identifier: String, _ db: PostgresConnection) async throws {
        switch identifier {
        case Migrations.v1:
            for statement in v1 { try await db.exec(PostgresQuery(unsafeSQL: statement)) }
        case Migrations.v2:
            for statement in v2 { try await db.exec(PostgresQuery(unsafeSQL: statement)) }
            try await db.exec("INSERT INTO instance (id, instanceid, createdat) VALUES (1, \(SigningKeys.newInstanceID()), \(StoreClock.now()))")
            for row in try await db.rows("SELECT id FROM org") {
                let key = Publication.newKey()
                try await db.exec("""
                    INSERT INTO signingkey (orgid, privatekey, publickey, state, createdat)
                    VALUES (\(try row.get("id", as: Int64.self)), \(key.privateKey), \(key.publicKey), 'current', \(StoreClock.now()))
                    """)
            }
        case Migrations.v3:
            for statement in v3 { try await db.exec(PostgresQuery(unsafeSQL: statement)) }
        default:
            throw StoreError.engine("no PostgreSQL schema for migration \(identifier)")
        }
    }

    static let v1 = [
        """
        CREATE TABLE org (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name TEXT COLLATE "C" NOT NULL UNIQUE
                CHECK (length(name) BETWEEN 1 AND 63 AND name !~ '[^a-z0-9-]'),
            scimapi BOOLEAN NOT NULL DEFAULT true,
            provisioning BOOLEAN NOT NULL DEFAULT true,
            policy TEXT NOT NULL,
            serial BIGINT NOT NULL DEFAULT 0 CHECK (serial >= 0),
            frozensnapshot BYTEA,
            nextuid BIGINT,
            nextgid BIGINT,
            createdat TEXT NOT NULL,
            changedat TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE token (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            orgid BIGINT NOT NULL REFERENCES org(id) ON DELETE CASCADE,
            name TEXT COLLATE "C" NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
            scope TEXT NOT NULL CHECK (scope IN ('scim', 'node')),
            secrethash BYTEA NOT NULL UNIQUE CHECK (length(secrethash) = 32),
            createdat TEXT NOT NULL,
            lastusedat TEXT,
            UNIQUE (orgid, name)
        )
        """,
        """
        CREATE TABLE scimuser (
            seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
            id TEXT PRIMARY KEY NOT NULL,
            orgid BIGINT NOT NULL REFERENCES org(id) ON DELETE CASCADE,
            username TEXT NOT NULL CHECK (length(username) > 0),
            usernamekey TEXT COLLATE "C" NOT NULL,
            externalid TEXT,
            active BOOLEAN NOT NULL,
            document TEXT NOT NULL,
            gecos TEXT NOT NULL,
            explicitname TEXT,
            posixname TEXT COLLATE "C",
            explicituid BIGINT,
            allocateduid BIGINT,
            uid BIGINT NOT NULL CHECK (uid >= 1000),
            explicitgid BIGINT,
            gid BIGINT NOT NULL CHECK (gid >= 1000),
            explicithome TEXT,
            home TEXT COLLATE "C",
            explicitshell TEXT,
            shell TEXT NOT NULL,
            keys TEXT NOT NULL,
            exportproblem TEXT,
            version BIGINT NOT NULL CHECK (version >= 1),
            createdat TEXT NOT NULL,
            modifiedat TEXT NOT NULL,
            UNIQUE (orgid, usernamekey),
            CHECK ((posixname IS NULL) = (home IS NULL)),
            CHECK ((posixname IS NULL) = (exportproblem IS NOT NULL))
        )
        """,
        "CREATE UNIQUE INDEX scimuserposixname ON scimuser(orgid, posixname) WHERE posixname IS NOT NULL",
        "CREATE UNIQUE INDEX scimuseruid ON scimuser(orgid, uid)",
        "CREATE UNIQUE INDEX scimuserhome ON scimuser(orgid, home) WHERE home IS NOT NULL",
        "CREATE INDEX scimuserexternalid ON scimuser(orgid, externalid)",
        """
        CREATE TABLE scimgroup (
            seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
            id TEXT PRIMARY KEY NOT NULL,
            orgid BIGINT NOT NULL REFERENCES org(id) ON DELETE CASCADE,
            displayname TEXT NOT NULL CHECK (length(displayname) > 0),
            displaynamekey TEXT COLLATE "C" NOT NULL,
            externalid TEXT,
            document TEXT NOT NULL,
            posixname TEXT COLLATE "C" NOT NULL,
            gid BIGINT NOT NULL CHECK (gid >= 1000),
            version BIGINT NOT NULL CHECK (version >= 1),
            createdat TEXT NOT NULL,
            modifiedat TEXT NOT NULL,
            UNIQUE (orgid, displaynamekey),
            UNIQUE (orgid, posixname),
            UNIQUE (orgid, gid)
        )
        """,
        """
        CREATE TABLE membership (
            groupid TEXT NOT NULL REFERENCES scimgroup(id) ON DELETE CASCADE,
            userid TEXT NOT NULL REFERENCES scimuser(id) ON DELETE CASCADE,
            PRIMARY KEY (groupid, userid)
        )
        """,
        "CREATE INDEX membershipuser ON membership(userid)",
        """
        CREATE TABLE audit (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            orgid BIGINT REFERENCES org(id) ON DELETE SET NULL,
            at TEXT COLLATE "C" NOT NULL,
            actor TEXT NOT NULL,
            method TEXT NOT NULL,
            resource TEXT NOT NULL,
            outcome TEXT NOT NULL
        )
        """,
        "CREATE INDEX auditorgat ON audit(orgid, at)",
    ]

    static let v2 = [
        """
        CREATE TABLE instance (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            instanceid TEXT NOT NULL CHECK (instanceid ~ '^[0-9a-f]{32}$'),
            createdat TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE signingkey (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            orgid BIGINT NOT NULL REFERENCES org(id) ON DELETE CASCADE,
            privatekey BYTEA NOT NULL CHECK (length(privatekey) = 32),
            publickey BYTEA NOT NULL UNIQUE CHECK (length(publickey) = 32),
            state TEXT NOT NULL CHECK (state IN ('current', 'previous', 'retired')),
            createdat TEXT NOT NULL
        )
        """,
        "CREATE UNIQUE INDEX signingkeycurrent ON signingkey(orgid) WHERE state = 'current'",
        "CREATE UNIQUE INDEX signingkeyprevious ON signingkey(orgid) WHERE state = 'previous'",
    ]

    static let v3 = [
        """
        CREATE TABLE consolesettings (
            orgid BIGINT PRIMARY KEY REFERENCES org(id) ON DELETE CASCADE,
            idpssourl TEXT,
            idpentityid TEXT,
            idpcertificate TEXT,
            admingroup TEXT CHECK (admingroup IS NULL OR length(admingroup) BETWEEN 1 AND 256),
            changedat TEXT NOT NULL,
            CHECK ((idpssourl IS NULL) = (idpentityid IS NULL) AND (idpentityid IS NULL) = (idpcertificate IS NULL))
        )
        """,
        """
        CREATE TABLE consoleadmin (
            orgid BIGINT NOT NULL REFERENCES org(id) ON DELETE CASCADE,
            email TEXT COLLATE "C" NOT NULL CHECK (length(email) BETWEEN 3 AND 320 AND email = lower(email)),
            createdat TEXT NOT NULL,
            PRIMARY KEY (orgid, email)
        )
        """,
    ]
}

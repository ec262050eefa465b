import Crypto
import Foundation
import GRDB

/// What a bearer token may do. `scim` tokens are for the IdP (read and write the SCIM API);
/// `node` tokens only read the published state (snapshot, node read API).
public enum TokenScope: String, Sendable, CaseIterable, Codable {
    case scim, node
}

/// A token as listed: never the secret, which is stored only as its SHA-256.
public struct TokenInfo: Sendable, Equatable {
    public var org: String
    public var name: String
    public var scope: TokenScope
    public var createdAt: String
    public var lastUsedAt: String?
}

/// The identity behind an authenticated request.
public struct Principal: Sendable, Equatable {
    public var orgID: Int64
    public var org: String
    public var tokenName: String
    public var scope: TokenScope
}

/// Token secrets: 32 random bytes, URL-safe base64, with a recognisable prefix so a leaked
/// secret is easy to grep for. Because they are high-entropy, a single SHA-256 is a safe
/// storage hash; lookup is by hash, and the final comparison is constant-time.
enum TokenSecret {
    static let prefix = "sbt_"

    static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        let base64 = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return prefix + base64
    }

    static func hash(_ secret: String) -> Data {
        Data(SHA256.hash(data: Data(secret.utf8)))
    }

    /// Constant-time equality of two digests.
    static func equal(_ a: Data, _ b: Data) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}

extension SunkDatabase {
    /// Creates a token and returns its secret. The secret is not stored and cannot be shown again.
    public func createToken(org orgName: String, name: String, scope: TokenScope) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard (1...128).contains(trimmed.count), !trimmed.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f })
        else { throw StoreError.invalidValue("token name must be 1–128 printable characters") }
        let secret = TokenSecret.generate()
        let hash = TokenSecret.hash(secret)
        try writeSync { db in
            let org = try Self.org(db, named: orgName)
            if try Row.fetchOne(db, sql: "SELECT 1 FROM token WHERE orgID = ? AND name = ?",
                                arguments: [org.id, trimmed]) != nil {
                throw StoreError.alreadyExists("token \"\(trimmed)\" in org \"\(orgName)\"")
            }
            try db.execute(
                sql: "INSERT INTO token (orgID, name, scope, secretHash, createdAt) VALUES (?, ?, ?, ?, ?)",
                arguments: [org.id, trimmed, scope.rawValue, hash, Clock.now()])
            try Audit.record(db, orgID: org.id, actor: "cli", method: "TOKEN CREATE", resource: trimmed,
                             outcome: "created (\(scope.rawValue))")
        }
        return secret
    }

    public func tokens(org: String?) throws -> [TokenInfo] {
        try readSync { db in
            var sql = "SELECT token.*, org.name AS orgName FROM token JOIN org ON org.id = token.orgID"
            var arguments: StatementArguments = []
            if let org {
                _ = try Self.org(db, named: org)
                sql += " WHERE org.name = ?"
                arguments += [org]
            }
            sql += " ORDER BY org.name, token.name"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                TokenInfo(org: row["orgName"], name: row["name"],
                          scope: TokenScope(rawValue: row["scope"]) ?? .scim,
                          createdAt: row["createdAt"], lastUsedAt: row["lastUsedAt"])
            }
        }
    }

    /// Revokes (deletes) a token; a running server refuses it from the next request on.
    public func revokeToken(org orgName: String, name: String) throws {
        try writeSync { db in
            let org = try Self.org(db, named: orgName)
            try db.execute(sql: "DELETE FROM token WHERE orgID = ? AND name = ?", arguments: [org.id, name])
            guard db.changesCount == 1 else { throw StoreError.notFound("token \"\(name)\" in org \"\(orgName)\"") }
            try Audit.record(db, orgID: org.id, actor: "cli", method: "TOKEN REVOKE", resource: name, outcome: "revoked")
        }
    }

    /// Resolves a presented secret to its principal, or nil. Read from the database on every
    /// request, so a revocation or a new token takes effect at once. "Last used" is written at
    /// most once a minute per token and is not a change (no serial bump).
    public func authenticate(secret: String, org orgName: String) async throws -> Principal? {
        let hash = TokenSecret.hash(secret)
        let found: (Principal, String?)? = try await read { db in
            guard let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT token.name, token.scope, token.secretHash, token.lastUsedAt, org.id AS orgID, org.name AS orgName
                    FROM token JOIN org ON org.id = token.orgID WHERE token.secretHash = ?
                    """,
                arguments: [hash])
            else { return nil }
            let stored: Data = row["secretHash"]
            guard TokenSecret.equal(stored, hash) else { return nil }
            let orgNameFound: String = row["orgName"]
            guard orgNameFound == orgName else { return nil }   // another org's token
            let principal = Principal(orgID: row["orgID"], org: orgNameFound, tokenName: row["name"],
                                      scope: TokenScope(rawValue: row["scope"]) ?? .node)
            return (principal, row["lastUsedAt"])
        }
        guard let (principal, lastUsed) = found else { return nil }
        let now = Date()
        let stale = lastUsed.flatMap { try? Date($0, strategy: .iso8601) }.map { now.timeIntervalSince($0) >= 60 } ?? true
        if stale {
            let stamp = now.formatted(.iso8601)
            try await write { db in
                try db.execute(sql: "UPDATE token SET lastUsedAt = ? WHERE secretHash = ?", arguments: [stamp, hash])
            }
        }
        return principal
    }
}

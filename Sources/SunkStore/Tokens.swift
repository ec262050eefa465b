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

    package init(org: String, name: String, scope: TokenScope, createdAt: String, lastUsedAt: String?) {
        self.org = org; self.name = name; self.scope = scope; self.createdAt = createdAt; self.lastUsedAt = lastUsedAt
    }
}

/// The identity behind an authenticated request.
public struct Principal: Sendable, Equatable {
    public var orgID: Int64
    public var org: String
    public var tokenName: String
    public var scope: TokenScope

    package init(orgID: Int64, org: String, tokenName: String, scope: TokenScope) {
        self.orgID = orgID; self.org = org; self.tokenName = tokenName; self.scope = scope
    }
}

/// A presented token's principal and its org, as read together.
public struct Authorization: Sendable, Equatable {
    public var principal: Principal
    public var org: Org

    package init(principal: Principal, org: Org) {
        self.principal = principal; self.org = org
    }
}

/// Token secrets: 32 random bytes, URL-safe base64, with a recognisable prefix so a leaked
/// secret is easy to grep for. Because they are high-entropy, a single SHA-256 is a safe
/// storage hash; lookup is by hash, and the final comparison is constant-time.
package enum TokenSecret {
    package static let prefix = "sbt_"

    package static func generate() -> String {
        prefix + random()
    }

    /// 32 bytes from the system's CSPRNG, URL-safe base64 without padding: a token's secret, and
    /// the console's session ids and CSRF tokens.
    package static func random() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    package static func hash(_ secret: String) -> Data {
        Data(SHA256.hash(data: Data(secret.utf8)))
    }

    /// Constant-time equality of two digests.
    package static func equal(_ a: Data, _ b: Data) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    /// True when "last used" is worth writing again: never written, or a minute old. (Not a
    /// change: no serial, no audit row.)
    package static func lastUseIsStale(_ lastUsed: String?, now: Date) -> Bool {
        lastUsed.flatMap { try? Date($0, strategy: .iso8601) }.map { now.timeIntervalSince($0) >= 60 } ?? true
    }
}

/// Token names: what `token create` accepts.
package enum TokenName {
    /// The trimmed name, or `.invalidValue`.
    package static func checked(_ name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard (1...128).contains(trimmed.count),
              !trimmed.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f })
        else { throw StoreError.invalidValue("token name must be 1–128 printable characters") }
        return trimmed
    }

    package static func taken(_ name: String, org: String) -> StoreError {
        .alreadyExists("token \"\(name)\" in org \"\(org)\"")
    }

    package static func missing(_ name: String, org: String) -> StoreError {
        .notFound("token \"\(name)\" in org \"\(org)\"")
    }
}

extension SQLiteStore {
    /// Creates a token and returns its secret. The secret is not stored and cannot be shown again.
    public func createToken(org orgName: String, name: String, scope: TokenScope, actor: String = "cli") throws -> String {
        let trimmed = try TokenName.checked(name)
        let secret = TokenSecret.generate()
        let hash = TokenSecret.hash(secret)
        try mutateSync(org: orgName, actor: actor, method: "TOKEN CREATE") { mutation in
            let db = mutation.db
            let mine = TokenRecord.filter(TokenRecord.Columns.orgID == mutation.org.id)
            if try mine.filter(TokenRecord.Columns.name == trimmed).fetchCount(db) > 0 {
                throw TokenName.taken(trimmed, org: orgName)
            }
            try TokenRecord(id: nil, orgID: mutation.org.id, name: trimmed, scope: scope.rawValue, secretHash: hash,
                            createdAt: StoreClock.now(), lastUsedAt: nil).insert(db)
            // A token is not something nodes see: no new serial.
            mutation.changed(trimmed, outcome: AuditOutcome.tokenCreated(scope), visibleToNodes: false)
        }
        return secret
    }

    public func tokens(org: String?) throws -> [TokenInfo] {
        try readSync { db in
            var orgs = OrgRecord.order(OrgRecord.Columns.name)
            if let org {
                _ = try Self.org(db, named: org)
                orgs = orgs.filter(OrgRecord.Columns.name == org)
            }
            return try orgs.fetchAll(db).flatMap { org in
                try TokenRecord.filter(TokenRecord.Columns.orgID == org.id).order(TokenRecord.Columns.name).fetchAll(db)
                    .map { token in
                        TokenInfo(org: org.name, name: token.name, scope: TokenScope(rawValue: token.scope) ?? .scim,
                                  createdAt: token.createdAt, lastUsedAt: token.lastUsedAt)
                    }
            }
        }
    }

    /// Revokes (deletes) a token; a running server refuses it from the next request on.
    public func revokeToken(org orgName: String, name: String, actor: String = "cli") throws {
        try mutateSync(org: orgName, actor: actor, method: "TOKEN REVOKE") { mutation in
            let deleted = try TokenRecord
                .filter(TokenRecord.Columns.orgID == mutation.org.id && TokenRecord.Columns.name == name)
                .deleteAll(mutation.db)
            guard deleted == 1 else { throw TokenName.missing(name, org: orgName) }
            mutation.changed(name, outcome: AuditOutcome.tokenRevoked, visibleToNodes: false)
        }
    }

    /// Resolves a presented secret to its principal, or nil. Read from the database on every
    /// request, so a revocation or a new token takes effect at once. "Last used" is written at
    /// most once a minute per token and is not a change (no serial bump).
    public func authorization(secret: String, org orgName: String) async throws -> Authorization? {
        let hash = TokenSecret.hash(secret)
        let found: (Authorization, String?)? = try await read { db in
            guard let token = try TokenRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM token WHERE secretHash = ?"),
                                                        arguments: [hash]),
                  TokenSecret.equal(token.secretHash, hash),
                  let record = try OrgRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM org WHERE id = ?"),
                                                      arguments: [token.orgID]),
                  record.name == orgName   // else another org's token
            else { return nil }
            let principal = Principal(orgID: token.orgID, org: record.name, tokenName: token.name,
                                      scope: TokenScope(rawValue: token.scope) ?? .node)
            return (Authorization(principal: principal, org: try Org(record: record)), token.lastUsedAt)
        }
        guard let (authorization, lastUsed) = found else { return nil }
        let now = Date()
        if TokenSecret.lastUseIsStale(lastUsed, now: now) {
            let stamp = now.formatted(.iso8601)
            _ = try await write { db in
                try TokenRecord.filter(TokenRecord.Columns.secretHash == hash)
                    .updateAll(db, TokenRecord.Columns.lastUsedAt.set(to: stamp))
            }
        }
        return authorization
    }
}

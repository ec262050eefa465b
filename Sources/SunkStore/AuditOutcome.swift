import SunkSnapshot

/// The audit trail's words for every write, whatever the engine: each engine records these, so
/// `sunk-bridge audit` reads the same on SQLite and PostgreSQL.
package enum AuditOutcome {
    package static func userResource(_ id: String) -> String { "Users/\(id)" }
    package static func groupResource(_ id: String) -> String { "Groups/\(id)" }

    package static func userCreated(_ userName: String) -> String { "201 created \(userName)" }
    package static func userUpdated(_ userName: String) -> String { "200 updated \(userName)" }
    package static func userDeleted(_ userName: String) -> String { "204 deleted \(userName)" }

    package static func groupCreated(_ displayName: String, members: Int) -> String {
        "201 created \(displayName) (\(members) members)"
    }
    package static func groupUpdated(_ displayName: String, added: Int, removed: Int) -> String {
        "200 updated \(displayName) (+\(added) -\(removed) members)"
    }
    package static func groupDeleted(_ displayName: String) -> String { "204 deleted \(displayName)" }

    package static let orgCreated = "created"
    package static func tokenCreated(_ scope: TokenScope) -> String { "created (\(scope.rawValue))" }
    package static let tokenRevoked = "revoked"
    package static func keyRotated(_ key: [UInt8]) -> String { "new key \(TrustedKey.fingerprint(key))" }

    /// The parts of an `org set` that changed something, in the order they are applied.
    package static func scimAPI(_ on: Bool) -> String { "scim-api \(on ? "on" : "off")" }
    package static func provisioning(_ on: Bool) -> String { "provisioning \(on ? "on" : "off")" }
    package static func policy(stranded: [ExportRefusal]) -> String {
        stranded.isEmpty ? "policy"
            : "policy (forced: \(stranded.count) entries no longer exported: "
                + stranded.map { "\($0.kind.rawValue) \($0.name)" }.joined(separator: ", ") + ")"
    }
}

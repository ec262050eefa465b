import Foundation
import SunkModel
import Testing
@testable import SunkStore

/// The engines the store's contract suite runs against. Every test that takes a `StoreEngine`
/// argument speaks only `IdentityStore`, so a second engine joins by adding a case here and its
/// branch in `withStore` (a PostgreSQL engine: a fresh schema or database per test, dropped after).
enum StoreEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite

    /// Every engine this build can run. An engine that needs a server may leave itself out when
    /// its environment (a connection URL) is missing.
    static var all: [StoreEngine] { allCases }

    var testDescription: String { rawValue }

    /// Runs `body` with a fresh, empty store of this engine holding org `default`, and removes
    /// the store afterwards.
    func withStore(_ body: (any IdentityStore) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            try await withDatabase { database in try await body(database) }
        }
    }
}

/// A fresh SQLite database file in its own temp directory, removed afterwards. For the tests of
/// what only the SQLite engine does (file, pragmas, migrations); the rest use `StoreEngine`.
func withDatabase(_ body: (SQLiteStore) async throws -> Void) async throws {
    let directory = NSTemporaryDirectory() + "sunk-store-test-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let database = try SQLiteStore(path: directory + "/sunk.sqlite")
    _ = try database.createOrg("default")
    try await body(database)
}

/// A user draft as the SCIM layer would hand it over.
func draft(_ userName: String, uid: UInt32? = nil, name: String? = nil, active: Bool = true) -> UserDraft {
    UserDraft(userName: userName, externalID: nil, active: active,
              document: "{\"userName\":\"\(userName)\",\"active\":\(active)}", gecos: "",
              posixName: name, derivedName: PosixRules.derivedUserName(fromUserName: userName, policy: .default),
              uid: uid, gid: nil, home: nil, shell: nil, keys: [])
}

/// A group draft with these members.
func groupDraft(_ name: String, members: [String] = []) -> GroupDraft {
    GroupDraft(displayName: name, externalID: nil, document: "{}", posixName: name, memberIDs: members)
}

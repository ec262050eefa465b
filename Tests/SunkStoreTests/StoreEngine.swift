import Foundation
import SunkModel
import SunkPostgres
import Testing
import TestSupport
@testable import SunkStore

/// The engines the store's contract suite runs against. Every test that takes a `StoreEngine`
/// argument speaks only `IdentityStore`: each runs on SQLite and on a real PostgreSQL (the test
/// process's `PostgresCluster`, a fresh database per test, dropped after). PostgreSQL is never
/// skipped: without it, its cases fail with the way to install it (`make deps`).
enum StoreEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    /// Every engine.
    static var all: [StoreEngine] { allCases }

    var testDescription: String { rawValue }

    /// Runs `body` with a fresh, empty store of this engine holding org `default`, and removes
    /// the store afterwards.
    func withStore(_ body: (any IdentityStore) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            try await withDatabase { database in try await body(database) }
        case .postgres:
            try await withPostgresStore { store in try await body(store) }
        }
    }
}

/// A PostgresStore on a fresh database holding org `default`, closed and dropped afterwards.
func withPostgresStore(_ body: (PostgresStore) async throws -> Void) async throws {
    try await PostgresCluster.shared().withDatabase { url in
        let store = try await PostgresStore(url: url)
        do {
            _ = try await store.createOrg("default", policy: .default)
            try await body(store)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
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

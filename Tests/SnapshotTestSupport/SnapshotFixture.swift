// Snapshot values for tests: users, groups and bodies with the defaults a small node expects.
// Shared by SunkSnapshotTests and NodeSyncTests (whose `Fixture` adds node roots and sync runs).
import Foundation
import SunkModel
import SunkSnapshot
import TestSupport

public enum SnapshotFixture {
    /// A canonical ed25519 public key line made from `seed`.
    public static func key(_ seed: UInt8, comment: String? = "user@laptop") -> String {
        SSHKeys.ed25519Patterned(seed, comment: comment)
    }

    public static func user(_ name: String, uid: UInt32, gid: UInt32? = nil, active: Bool = true,
                            shell: String = "/bin/bash", keys: [String]? = nil, gecos: String? = nil,
                            home: String? = nil) -> SnapshotUser {
        SnapshotUser(id: "id-\(name)", userName: "\(name)@example.com", name: name, uid: uid, gid: gid ?? uid,
                     gecos: gecos ?? "User \(name)", home: home ?? "/home/\(name)", shell: shell,
                     keys: keys ?? [key(UInt8(truncatingIfNeeded: uid), comment: "\(name)@laptop")], active: active)
    }

    public static func group(_ name: String, gid: UInt32, members: [String]) -> SnapshotGroup {
        SnapshotGroup(id: "gid-\(name)", displayName: "Group \(name)", name: name, gid: gid, members: members)
    }

    public static func body(users: [SnapshotUser], groups: [SnapshotGroup] = [], skipped: [SkippedEntry] = [],
                            policy: Policy = .default, serial: Int64 = 1) -> SnapshotBody {
        SnapshotBody(org: "default", serial: serial, publishedAt: Date(timeIntervalSince1970: 1_795_000_000),
                     policy: policy, users: users, groups: groups, skipped: skipped)
    }

    /// `count` ordinary users `u001`… with uids from 100001.
    public static func users(_ count: Int, from first: UInt32 = 100001) -> [SnapshotUser] {
        (0..<count).map { i in
            let n = String(i + 1)
            return user("u" + String(repeating: "0", count: max(0, 3 - n.count)) + n, uid: first + UInt32(i))
        }
    }
}

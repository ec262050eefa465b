// Fixtures shared by the node-side tests: a scratch root with local accounts, snapshot builders,
// key material, and a recorder of every node file's bytes.
import Foundation
import NodeSync
import SunkModel
import SunkSnapshot
import SnapshotTestSupport
import TestSupport
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

enum Fixture {
    /// A scratch node root with `/etc/passwd`, `/etc/group`, `/etc/shells` like a small Debian node:
    /// local `alice` (uid 1000) and `svc` (uid 20000), group `shadow` (42) and `localgrp` (20001).
    static func makeRoot(shells: [String] = ["/bin/sh", "/bin/bash", "/usr/bin/bash"],
                         extraPasswd: String = "") throws -> String {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("nodesync-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try """
            root:x:0:0:root:/root:/bin/bash
            daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
            alice:x:1000:1000:Local Alice:/home/alice:/bin/bash
            svc:x:20000:20000:Service:/srv/svc:/usr/sbin/nologin

            """.appending(extraPasswd).write(toFile: root + "/etc/passwd", atomically: false, encoding: .utf8)
        try """
            root:x:0:
            shadow:x:42:
            alice:x:1000:
            localgrp:x:20001:alice

            """.write(toFile: root + "/etc/group", atomically: false, encoding: .utf8)
        try ("# /etc/shells: valid login shells\n" + shells.joined(separator: "\n") + "\n")
            .write(toFile: root + "/etc/shells", atomically: false, encoding: .utf8)
        return root
    }

    static func remove(_ root: String) { try? FileManager.default.removeItem(atPath: root) }

    // The snapshot builders (key, user, group, body, users) are SnapshotTestSupport's, shared with
    // SunkSnapshotTests.
    static func key(_ seed: UInt8, comment: String? = "user@laptop") -> String {
        SnapshotFixture.key(seed, comment: comment)
    }

    static func user(_ name: String, uid: UInt32, gid: UInt32? = nil, active: Bool = true,
                     shell: String = "/bin/bash", keys: [String]? = nil, gecos: String? = nil,
                     home: String? = nil) -> SnapshotUser {
        SnapshotFixture.user(name, uid: uid, gid: gid, active: active, shell: shell, keys: keys, gecos: gecos, home: home)
    }

    static func group(_ name: String, gid: UInt32, members: [String]) -> SnapshotGroup {
        SnapshotFixture.group(name, gid: gid, members: members)
    }

    static func body(users: [SnapshotUser], groups: [SnapshotGroup] = [], skipped: [SkippedEntry] = [],
                     policy: Policy = .default, serial: Int64 = 1) -> SnapshotBody {
        SnapshotFixture.body(users: users, groups: groups, skipped: skipped, policy: policy, serial: serial)
    }

    /// `count` ordinary users `u001`… with uids from 100001.
    static func users(_ count: Int, from first: UInt32 = 100001) -> [SnapshotUser] {
        SnapshotFixture.users(count, from: first)
    }

    /// Writes the encoded document to `<root>/in/snapshot.json` and returns the path.
    @discardableResult
    static func writeSnapshot(_ data: Data, root: String, name: String = "snapshot.json") throws -> String {
        try FileManager.default.createDirectory(atPath: root + "/in", withIntermediateDirectories: true)
        let path = root + "/in/" + name
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    static func sync(_ root: String, snapshot path: String, format: NSSFormat = .extrausers,
                     maxDeletePercent: Int = 10, dryRun: Bool = false) async throws(SyncError) -> SyncReport {
        try await NodeSyncer(source: FileSnapshotSource(path: path),
                             options: SyncOptions(root: root, format: format, maxDeletePercent: maxDeletePercent,
                                                  dryRun: dryRun)).run()
    }

    /// Encodes `body`, writes it and syncs.
    static func syncBody(_ body: SnapshotBody, root: String, format: NSSFormat = .extrausers,
                         maxDeletePercent: Int = 10, dryRun: Bool = false) async throws -> SyncReport {
        let path = try writeSnapshot(SnapshotDocument.make(body: body).encoded(), root: root)
        return try await sync(root, snapshot: path, format: format, maxDeletePercent: maxDeletePercent, dryRun: dryRun)
    }

    static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? "<missing \(path)>"
    }

    static func mode(_ path: String) -> UInt32 {
        var st = stat()
        guard stat(path, &st) == 0 else { return 0 }
        return UInt32(st.st_mode & 0o7777)
    }
}

/// Bytes, inode and mtime of every file and symlink (its text as bytes) below a root except the
/// lock and last-run.json (rewritten by every run, failed ones included), so a test can prove that a
/// refused sync left the node's files exactly as they were (not even rewritten).
struct NodeFiles: Equatable, CustomStringConvertible {
    struct Entry: Equatable {
        var bytes: Data
        var inode: UInt64
        var mtime: Int
        var mtimeNanos: Int
    }
    var entries: [String: Entry]

    init(root: String) {
        var result: [String: Entry] = [:]
        let skip: Set<String> = ["var/lib/sunk-bridge/last-run.json", "var/lib/sunk-bridge/sync.lock"]
        if let walker = FileManager.default.enumerator(atPath: root) {
            while let relative = walker.nextObject() as? String {
                if skip.contains(relative) || relative.hasPrefix("in/") { continue }
                let path = root + "/" + relative
                var st = stat()
                guard lstat(path, &st) == 0 else { continue }
                let bytes: Data
                switch st.st_mode & S_IFMT {
                case S_IFREG: bytes = FileManager.default.contents(atPath: path) ?? Data()
                case S_IFLNK: bytes = Data(((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "").utf8)
                default: continue
                }
                result[relative] = Entry(bytes: bytes,
                                         inode: UInt64(st.st_ino), mtime: st.st_mtim.tv_sec,
                                         mtimeNanos: st.st_mtim.tv_nsec)
            }
        }
        entries = result
    }

    var description: String { entries.keys.sorted().joined(separator: ", ") }
}

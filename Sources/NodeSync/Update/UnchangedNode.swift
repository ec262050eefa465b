// The fast path of a node that is already current: the receiver answered 304 and nothing the
// node's files are made from, and none of those files, changed since the last successful run.
import Foundation
import SunkSnapshot
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A digest of everything a sync's output depends on besides the snapshot itself, and of that
/// output as it stands on disk. Recorded in `last-run.json` after a successful run; when the
/// receiver answers 304 and the digest is the same, a full run would write exactly the files that
/// are there, so the run stops early: no re-verification of a snapshot that was verified when it
/// was applied, no re-render of 100k users.
///
/// What it covers: this executable (an upgrade may render differently), the node's options (format,
/// home prefixes, the guards, the sudo rule, lock actions, the trust keys: a changed key file makes
/// the kept snapshot be verified again), the local files the floor reads (`/etc/passwd`, `/etc/group`,
/// `/etc/shells`, by content), the current generation and, for every fixed path readers open, its
/// link text and the file it resolves to (device, inode, size, modification time, mode, owner), and the
/// sudoers drop-in the same way. Anything edited, replaced, removed or re-linked changes it. A node that
/// creates homes never takes the short-cut: a home removed since needs the full run.
enum NodeFingerprint {
    static func make(options: SyncOptions, paths: NodePaths) -> String? {
        guard !options.createHomes, let generation = GenerationStore.currentName(paths) else { return nil }
        var lines: [String] = []
        lines.append("exe " + fileStat("/proc/self/exe", follow: true))
        lines.append("format \(options.format.rawValue)")
        lines.append("home-prefixes \(options.homePrefixes.joined(separator: ":"))")
        lines.append("max-delete \(options.maxDeletePercent) accept-changes \(options.acceptChanges) accept-rollback \(options.acceptRollback)")
        lines.append("sudo \(options.sudo.groups.joined(separator: ",")) nopasswd \(options.sudo.noPassword)")
        let lock = options.lockActions
        lines.append("lock \(lock.terminateSessions) \(lock.onLockExec?.joined(separator: "\u{1f}") ?? "-") \(lock.execTimeout) \(lock.grace)")
        lines.append("trust " + (options.trust?.keys.map(\.line).sorted().joined(separator: "|") ?? "-"))
        for path in [paths.localPasswd, paths.localGroup, paths.localShells] {
            lines.append("local \(path) " + contentDigest(path))
        }
        lines.append("generation \(generation)")
        for link in NodeLayout.links(options.format, paths: paths) {
            lines.append("link \(link.path) -> \(SystemCall.readLink(link.path) ?? "-") " + fileStat(link.path, follow: true))
        }
        lines.append("sudoers " + fileStat(paths.path(Sudoers.path), follow: false))
        return SnapshotDocument.sha256(Data(lines.joined(separator: "\n").utf8))
    }

    /// Device, inode, size, modification time, mode, owner; `absent` when there is no such file.
    static func fileStat(_ path: String, follow: Bool) -> String {
        var st = stat()
        guard (follow ? statFollowing(path, &st) : lstat(path, &st)) == 0 else { return "absent" }
        return "\(st.st_dev):\(st.st_ino) \(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec) "
            + "\(String(st.st_mode, radix: 8)) \(st.st_uid):\(st.st_gid)"
    }

    /// stat(2) itself (the name `stat` is the struct's in Swift).
    private static func statFollowing(_ path: String, _ st: inout stat) -> Int32 {
        fstatat(AT_FDCWD, path, &st, 0)
    }

    static func contentDigest(_ path: String) -> String {
        let read: [UInt8]?
        do { read = try SystemCall.read(path) } catch { return "unreadable" }
        guard let bytes = read else { return "absent" }
        return SnapshotDocument.sha256(bytes)
    }
}

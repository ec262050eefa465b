// A login node below a temp directory, synced by the real `sync` (NodeSyncer, in-process) from a
// signed snapshot, and `doctor` run in-process against it: every file doctor reads — state,
// last run, keys cache, generation links, applied snapshot — is one the real sync wrote.
import Crypto
import Foundation
import NodeDoctor
import NodeSync
import SunkModel
import SunkSnapshot
import Testing
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

struct DoctorTestError: Error, CustomStringConvertible {
    var description: String
}

/// What one doctor run printed, and its exit status.
struct DoctorOutput {
    var status: Int32
    var stdout: String
    var stderr = ""
    var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    /// True when a line starts with `prefix` and contains every one of `parts`.
    func has(_ prefix: String, _ parts: String...) -> Bool {
        lines.contains { l in l.hasPrefix(prefix) && parts.allSatisfy { l.contains($0) } }
    }
}

/// Signs snapshot bodies for one org, as the receiver does.
struct DoctorSigner {
    static let instance = "0123456789abcdef0123456789abcdef"
    var key = Curve25519.Signing.PrivateKey()
    var org = "default"
    var trustLine: String { TrustedKey(publicKey: [UInt8](key.publicKey.rawRepresentation), org: org).line }

    func sign(_ body: SnapshotBody) throws -> Data {
        try SignedSnapshot.sign(document: SnapshotDocument.make(body: body).encoded(), org: body.org,
                                serial: body.serial, instance: Self.instance, key: key).encoded()
    }
}

/// A login node prepared "good": nsswitch with extrausers after files, the module present, sshd
/// config with the packaged command and user, helper root-owned, /home 0755, subuid/subgid above
/// every range, the org's trust key installed, and one real sync applied (generation 1).
final class DoctorScratch: @unchecked Sendable {
    let base: String
    let root: String
    let signer = DoctorSigner()
    var sshdConfig: String { root + "/etc/ssh/sshd_config" }
    var nsswitch: String { root + "/etc/nsswitch.conf" }
    var stateDirectory: String { root + "/var/lib/sunk-bridge" }

    static func requireRoot(_ why: String) throws {
        guard geteuid() == 0 else {
            throw DoctorTestError(description: "this test needs root (\(why)); run the suite as root")
        }
    }

    /// `synced: false` leaves the node as a fresh install: no sync has run.
    init(synced: Bool = true) async throws {
        try Self.requireRoot("the scratch root must be root-owned like a real node")
        base = NSTemporaryDirectory() + "/doctor-test-\(UUID().uuidString.prefix(8))"
        root = base + "/root"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        chmod(base, 0o755)
        for dir in ["/etc/ssh/sshd_config.d", "/usr/libexec/sunk-bridge", "/usr/lib/x86_64-linux-gnu",
                    "/var/lib/sunk-bridge", "/home", "/etc/sunk-bridge", "/in"] {
            try mkdirs(dir)
        }
        write("/etc/nsswitch.conf", "passwd: files extrausers\ngroup: files extrausers\nshadow: files extrausers\n")
        write("/usr/lib/x86_64-linux-gnu/libnss_extrausers.so.2", "")
        write("/etc/ssh/sshd_config", """
            PidFile none
            AuthorizedKeysCommand /usr/libexec/sunk-bridge/sunk-authorized-keys %u %U
            AuthorizedKeysCommandUser sunk-bridge-keys

            """)
        write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nsunk-bridge-keys:x:104:65534::/nonexistent:/usr/sbin/nologin\n")
        write("/etc/group", "root:x:0:\nshadow:x:42:\n")
        write("/etc/shells", "/bin/sh\n/bin/bash\n")
        write("/usr/libexec/sunk-bridge/sunk-authorized-keys", "#!/bin/sh\nexit 0\n", mode: 0o755)
        write("/etc/subuid", "alice:3000000000:65536\n")
        write("/etc/subgid", "alice:3000000000:65536\n")
        write("/etc/sunk-bridge/trust.pub", signer.trustLine + "\n")
        if synced { try await sync() }
    }

    deinit { try? FileManager.default.removeItem(atPath: base) }

    /// Creates ROOT+dir and its missing parents, each root-owned 0755 (root is the test's user).
    func mkdirs(_ dir: String) throws {
        try FileManager.default.createDirectory(atPath: root + dir, withIntermediateDirectories: true)
        var d = dir
        while d != "" && d != "/" {
            chmod(root + d, 0o755)
            d = String(d[..<(d.lastIndex(of: "/") ?? d.startIndex)])
        }
    }

    func write(_ path: String, _ text: String, mode: mode_t = 0o644) {
        _ = FileManager.default.createFile(atPath: root + path, contents: Data(text.utf8))
        chmod(root + path, mode)
    }

    /// A snapshot body of `users` users (`u1`…, uids from 100001) for the signer's org.
    func body(users: Int = 2, policy: Policy = .default, serial: Int64 = 1, firstUID: UInt32 = 100000) -> SnapshotBody {
        let people = (1...max(users, 1)).prefix(users).map { i in
            SnapshotUser(id: "id-u\(i)", userName: "u\(i)@example.com", name: "u\(i)", uid: firstUID + UInt32(i),
                         gid: firstUID + UInt32(i), gecos: "User \(i)", home: "/home/u\(i)", shell: "/bin/bash",
                         keys: [Self.key(UInt8(i))], active: true)
        }
        return SnapshotBody(org: signer.org, serial: serial, publishedAt: Date(timeIntervalSince1970: 1_795_000_000),
                            policy: policy, users: people, groups: [], skipped: [])
    }

    /// The real sync, in-process, of `body` signed by the org's key (verified against the trust file
    /// installed in the root). `now` pins the sync's clock.
    @discardableResult
    func sync(_ body: SnapshotBody? = nil, format: NSSFormat = .extrausers, homePrefixes: [String]? = nil,
              maxDeletePercent: Int = 10, now: Date = Date()) async throws -> SyncReport {
        let path = base + "/snapshot-\(UUID().uuidString.prefix(8)).json"
        try signer.sign(body ?? self.body()).write(to: URL(fileURLWithPath: path))
        return try await sync(snapshot: path, format: format, homePrefixes: homePrefixes,
                              maxDeletePercent: maxDeletePercent, now: now)
    }

    /// The real sync of the snapshot file at `snapshot` (which may be missing or bad: the run then
    /// fails and records it, as on a node).
    @discardableResult
    func sync(snapshot: String, format: NSSFormat = .extrausers, homePrefixes: [String]? = nil,
              maxDeletePercent: Int = 10, now: Date = Date()) async throws -> SyncReport {
        let trust = try TrustedKeys.load(path: root + "/etc/sunk-bridge/trust.pub")
        let options = SyncOptions(root: root, format: format, maxDeletePercent: maxDeletePercent,
                                  homePrefixes: homePrefixes ?? SyncOptions.defaultHomePrefixes,
                                  trust: trust, now: { now })
        return try await NodeSyncer(source: FileSnapshotSource(path: snapshot), options: options).run()
    }

    /// `sunk-bridge doctor --root ROOT` in-process; `sshd: nil` reads the sshd configuration as text.
    func doctor(format: NSSFormat? = nil, maxAge: Int = 3600, sshdConfig: String? = nil,
                sshd: String? = nil, now: Date = Date()) -> DoctorOutput {
        let report = Doctor.run(DoctorContext(root: root, sshdConfig: sshdConfig, format: format, sshdBinary: sshd,
                                              maxAge: maxAge, now: now))
        return DoctorOutput(status: report.exitCode, stdout: report.rendered)
    }

    /// A canonical ed25519 public key line made from `seed`.
    static func key(_ seed: UInt8) -> String {
        let type = Array("ssh-ed25519".utf8)
        let blob: [UInt8] = [0, 0, 0, UInt8(type.count)] + type + [0, 0, 0, 32]
            + (0..<32).map { UInt8(truncatingIfNeeded: Int($0) &* 7 &+ Int(seed)) }
        return "ssh-ed25519 " + Base64.encode(blob) + " u\(seed)@laptop"
    }
}

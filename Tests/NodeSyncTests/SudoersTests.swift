// `sync --sudo-group`: the rendered /etc/sudoers.d/sunk-bridge, the group-name rules, and what a sync
// run does with the file (write after the generation switch, checked by the real `visudo -cf`,
// replace, remove only its own file, revoke even when the receiver is down, never take a rule
// from the snapshot).
import Foundation
import NodeSync
import SunkModel
import SunkSnapshot
import Testing
import TestSupport
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

enum SudoFixture {
    static let gid: UInt32 = 2_000_071

    /// `Fixture.makeRoot` plus `/etc/sudoers.d` (as the sudo package leaves it).
    static func makeRoot() throws -> String {
        let root = try Fixture.makeRoot()
        try FileManager.default.createDirectory(atPath: root + "/etc/sudoers.d", withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        return root
    }

    static func sudoersFile(_ root: String) -> String { root + Sudoers.path }

    /// ada and cleo in hpc-admins, bob not; cleo locked when `cleoLocked`.
    static func body(cleoLocked: Bool = true, serial: Int64 = 1) -> SnapshotBody {
        Fixture.body(users: [Fixture.user("ada", uid: 1_000_071), Fixture.user("bob", uid: 1_000_072),
                             Fixture.user("cleo", uid: 1_000_073, active: !cleoLocked)],
                     groups: [Fixture.group("hpc-admins", gid: gid, members: ["ada", "cleo"])], serial: serial)
    }

    static func options(_ root: String, _ rule: SudoRule, visudo: String? = nil,
                        failurePoint: (@Sendable (String) throws(SyncError) -> Void)? = nil,
                        dryRun: Bool = false) -> SyncOptions {
        SyncOptions(root: root, dryRun: dryRun, failurePoint: failurePoint, sudo: rule, visudo: visudo)
    }

    @discardableResult
    static func sync(_ root: String, _ body: SnapshotBody, _ rule: SudoRule, visudo: String? = nil,
                     failurePoint: (@Sendable (String) throws(SyncError) -> Void)? = nil,
                     dryRun: Bool = false) async throws(SyncError) -> SyncReport {
        let path: String
        do {
            path = try Fixture.writeSnapshot(SnapshotDocument.make(body: body).encoded(), root: root)
        } catch {
            throw .io(operation: "write test snapshot", path: root, errno: EIO)
        }
        return try await NodeSyncer(source: FileSnapshotSource(path: path),
                                    options: options(root, rule, visudo: visudo, failurePoint: failurePoint,
                                                     dryRun: dryRun)).run()
    }

    static func status(_ root: String) -> String {
        StatusReport(state: try? SyncState.load(NodePaths(root: root)), now: Date(), maxAge: 3600).text
    }

    static func inode(_ path: String) -> UInt64? {
        var st = stat()
        return lstat(path, &st) == 0 ? UInt64(st.st_ino) : nil
    }

    static func owner(_ path: String) -> (uid: UInt32, gid: UInt32)? {
        var st = stat()
        return lstat(path, &st) == 0 ? (st.st_uid, st.st_gid) : nil
    }

    /// Every name in `<root>/etc/sudoers.d`.
    static func directoryNames(_ root: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/etc/sudoers.d")) ?? []).sorted()
    }

    /// `visudo -cf FILE` with the system's visudo: (exit status, output).
    static func visudoCheck(_ file: String) async throws -> (Int32, String) {
        guard let visudo = Sudoers.findVisudo() else {
            throw DoctorTestError(description: "visudo not found: apt-get install sudo (scripts/install-deps.sh)")
        }
        let r = try await run(visudo, ["-c", "-f", file])
        return (r.status, r.output)
    }
}

enum SudoTestIO {
    /// Everything until end of file, retrying interrupted reads (FileHandle's readers trap on EINTR).
    static func readAll(_ fd: Int32) -> [UInt8] {
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return all }
            all += buffer[0..<n]
        }
    }
}

@Suite("Sudoers: the node's --sudo-group rule", .serialized)
struct SudoersTests {
    static let marker = Sudoers.marker

    @Test("the file names each group once, in order, with NOPASSWD or not; visudo -cf accepts both forms")
    func rendered() async throws {
        let nopasswd = String(decoding: Sudoers.render(SudoRule(groups: ["hpc-admins", "_ops", "hpc-admins"],
                                                                noPassword: true)), as: UTF8.self)
        #expect(nopasswd == """
            \(Self.marker)
            # sudo for the POSIX groups this node names. Who is in them comes from the identity provider
            # (the group file sync writes); locked users are in no supplementary group.
            %hpc-admins ALL=(ALL:ALL) NOPASSWD: ALL
            %_ops ALL=(ALL:ALL) NOPASSWD: ALL

            """)
        let password = String(decoding: Sudoers.render(SudoRule(groups: ["research-admins"])), as: UTF8.self)
        #expect(password.hasSuffix("\n%research-admins ALL=(ALL:ALL) ALL\n"), "\(password)")
        #expect(!password.contains("NOPASSWD"))
        #expect(Sudoers.isOurs(Array(password.utf8)))
        #expect(!Sudoers.isOurs(Array("%hpc-admins ALL=(ALL:ALL) ALL\n".utf8)))
        #expect(!Sudoers.isOurs(Array(("# " + Self.marker + "\n").utf8)))

        let dir = try Fixture.makeRoot()
        defer { Fixture.remove(dir) }
        for (name, text) in [("nopasswd", nopasswd), ("password", password)] {
            try text.write(toFile: dir + "/" + name, atomically: false, encoding: .utf8)
            let (status, output) = try await SudoFixture.visudoCheck(dir + "/" + name)
            #expect(status == 0, "visudo -cf \(name): \(output)")
            #expect(output.contains("parsed OK"), "\(output)")
        }
        // The check is real: visudo refuses a broken line.
        try "%hpc admins ALL=(ALL:ALL) ALL\n".write(toFile: dir + "/broken", atomically: false, encoding: .utf8)
        let broken = try await SudoFixture.visudoCheck(dir + "/broken")
        #expect(broken.0 != 0)
    }

    @Test("group names: valid POSIX group names only, never a system group",
          arguments: [
            ("hpc-admins", nil), ("_ops", nil), ("ops2", nil), ("a", nil),
            (String(repeating: "a", count: 32), nil),
            ("sudo", "is a system group"), ("wheel", "is a system group"), ("admin", "is a system group"),
            ("adm", "is a system group"), ("root", "is a system group"), ("docker", "is a system group"),
            ("Wheel", "is a system group"),
            ("Admins", "is not a POSIX group name"), ("", "is not a POSIX group name"),
            ("hpc admins", "is not a POSIX group name"), ("%hpc", "is not a POSIX group name"),
            ("a,b", "is not a POSIX group name"), ("ALL", "is not a POSIX group name"),
            ("1ops", "is not a POSIX group name"), ("ops\nALL ALL=(ALL) NOPASSWD: ALL", "is not a POSIX group name"),
            ("ops:x", "is not a POSIX group name"), (String(repeating: "a", count: 33), "is not a POSIX group name"),
          ] as [(String, String?)])
    func groupNames(name: String, refusal: String?) {
        do throws(RuleViolation) {
            let accepted = try Sudoers.validateGroupName(name, attribute: "--sudo-group")
            #expect(refusal == nil, "accepted \(name.debugDescription)")
            #expect(accepted == name)
        } catch {
            #expect(refusal.map { error.reason.contains($0) } == true, "\(name.debugDescription): \(error)")
            #expect(error.attribute == "--sudo-group")
        }
        let options = SyncOptions(root: "/nonexistent", sudo: SudoRule(groups: [name]))
        if refusal == nil {
            #expect(throws: Never.self) { try options.validate() }
        } else {
            #expect(throws: SyncError.self) { try options.validate() }
        }
    }

    @Test("sync writes the file after the generation (0440, root, visudo-clean), keeps it, replaces it, removes it")
    func lifecycle() async throws {
        let root = try SudoFixture.makeRoot()
        defer { Fixture.remove(root) }
        let file = SudoFixture.sudoersFile(root)
        let rule = SudoRule(groups: ["hpc-admins"], noPassword: true)

        // Before any sudo group: no file, and status says so.
        let plain = try await SudoFixture.sync(root, SudoFixture.body(), SudoRule())
        #expect(plain.sudoers?.action == SudoersOutcome.Action.none)
        #expect(!FileManager.default.fileExists(atPath: file))
        #expect(SudoFixture.status(root).contains("sudo: no sudo group configured"), "\(SudoFixture.status(root))")

        let report = try await SudoFixture.sync(root, SudoFixture.body(), rule)
        #expect(report.sudoers?.action == .written)
        #expect(report.summary.contains("sudo: /etc/sudoers.d/sunk-bridge grants %hpc-admins (NOPASSWD), written"),
                "\(report.summary)")
        #expect(try SystemBytes.read(file) == Sudoers.render(rule))
        #expect(Fixture.mode(file) == 0o440)
        if geteuid() == 0 { #expect(SudoFixture.owner(file).map { $0.uid == 0 && $0.gid == 0 } == true) }
        let (status, output) = try await SudoFixture.visudoCheck(file)
        #expect(status == 0, "\(output)")
        #expect(SudoFixture.directoryNames(root) == ["sunk-bridge"], "no temp file is left")
        #expect(SudoFixture.status(root).contains("sudo: /etc/sudoers.d/sunk-bridge grants %hpc-admins (NOPASSWD), written"),
                "\(SudoFixture.status(root))")
        // The group it names is in the group file of the generation that is current.
        let group = Fixture.read(root + "/var/lib/extrausers/group")
        #expect(group.contains("hpc-admins:x:\(SudoFixture.gid):ada\n"), "cleo is locked: \(group)")

        // Same rule: the file is not rewritten.
        let inode = SudoFixture.inode(file)
        let again = try await SudoFixture.sync(root, SudoFixture.body(), rule)
        #expect(again.sudoers?.action == .unchanged)
        #expect(SudoFixture.inode(file) == inode)

        // Password form and a second group: replaced atomically.
        let wider = SudoRule(groups: ["hpc-admins", "ops"])
        let replaced = try await SudoFixture.sync(root, SudoFixture.body(), wider)
        #expect(replaced.sudoers?.action == .written)
        #expect(try SystemBytes.read(file) == Sudoers.render(wider))
        #expect(SudoFixture.inode(file) != inode)
        #expect(replaced.sudoers?.warnings.contains { $0.contains("sudo group ops is not in the group file") } == true,
                "\(replaced.sudoers?.warnings ?? [])")

        // No sudo group any more: the file is removed, and only that file.
        try "keep\n".write(toFile: root + "/etc/sudoers.d/local-rules", atomically: false, encoding: .utf8)
        let removed = try await SudoFixture.sync(root, SudoFixture.body(), SudoRule())
        #expect(removed.sudoers?.action == .removed)
        #expect(!FileManager.default.fileExists(atPath: file))
        #expect(SudoFixture.directoryNames(root) == ["local-rules"])
        #expect(SudoFixture.status(root).contains("sudo: /etc/sudoers.d/sunk-bridge removed"), "\(SudoFixture.status(root))")
        let none = try await SudoFixture.sync(root, SudoFixture.body(), SudoRule())
        #expect(none.sudoers?.action == SudoersOutcome.Action.none)
    }

    @Test("a sudoers file sunk-bridge did not write is never replaced or removed")
    func foreignFile() async throws {
        let root = try SudoFixture.makeRoot()
        defer { Fixture.remove(root) }
        let file = SudoFixture.sudoersFile(root)
        let foreign = "%hpc-admins ALL=(ALL:ALL) ALL\n"
        try foreign.write(toFile: file, atomically: false, encoding: .utf8)

        let left = try await SudoFixture.sync(root, SudoFixture.body(), SudoRule())
        #expect(left.sudoers?.action == .foreign)
        #expect(left.sudoers?.warnings.contains { $0.contains("not written by sunk-bridge") } == true)
        #expect(Fixture.read(file) == foreign)

        await #expect(throws: SyncError.self) {
            try await SudoFixture.sync(root, SudoFixture.body(serial: 2), SudoRule(groups: ["hpc-admins"], noPassword: true))
        }
        #expect(Fixture.read(file) == foreign)
        let state = try #require(try SyncState.load(NodePaths(root: root)))
        #expect(state.lastResult == .failed)
        #expect(state.lastError?.contains("was not written by sunk-bridge") == true, "\(state.lastError ?? "")")
        #expect(state.lastError?.contains("the NSS files and keys cache are applied") == true, "\(state.lastError ?? "")")
        #expect(state.serial == 2, "the NSS generation was committed before the sudo step")
    }

    @Test("no visudo, a visudo that refuses, or a failure before the rename: no file, no temp file, old file kept")
    func checkedBeforeInstall() async throws {
        let root = try SudoFixture.makeRoot()
        defer { Fixture.remove(root) }
        let file = SudoFixture.sudoersFile(root)
        let rule = SudoRule(groups: ["hpc-admins"], noPassword: true)

        do {
            try await SudoFixture.sync(root, SudoFixture.body(), rule, visudo: root + "/no-such/visudo")
            Issue.record("installed without visudo")
        } catch {
            #expect("\(error)".contains("visudo not found"), "\(error)")
        }
        #expect(SudoFixture.directoryNames(root).isEmpty)

        do {
            try await SudoFixture.sync(root, SudoFixture.body(), rule, visudo: "/bin/false")
            Issue.record("installed although visudo refused it")
        } catch {
            #expect("\(error)".contains("refused the new file"), "\(error)")
        }
        #expect(SudoFixture.directoryNames(root).isEmpty, "the temp file is removed")

        try await SudoFixture.sync(root, SudoFixture.body(), rule)
        let installed = try SystemBytes.read(file)
        let inode = SudoFixture.inode(file)
        let other = SudoRule(groups: ["hpc-admins"], noPassword: false)
        await #expect(throws: SyncError.self) {
            try await SudoFixture.sync(root, SudoFixture.body(), other, visudo: "/bin/false")
        }
        await #expect(throws: SyncError.self) {
            try await SudoFixture.sync(root, SudoFixture.body(), other, failurePoint: { (label: String) throws(SyncError) in
                if label == "write etc/sudoers.d/sunk-bridge" { throw .io(operation: "injected", path: label, errno: EIO) }
            })
        }
        #expect(try SystemBytes.read(file) == installed)
        #expect(SudoFixture.inode(file) == inode)
        #expect(SudoFixture.directoryNames(root) == ["sunk-bridge"])

        // The temp file of a run killed before its rename is removed by the next run; nothing else is.
        let stale = root + "/etc/sudoers.d/.sunk-bridge.sunk-tmp.4242.17"
        try "%x ALL=(ALL:ALL) ALL\n".write(toFile: stale, atomically: false, encoding: .utf8)
        try "keep\n".write(toFile: root + "/etc/sudoers.d/.other", atomically: false, encoding: .utf8)
        try await SudoFixture.sync(root, SudoFixture.body(), rule)
        #expect(SudoFixture.directoryNames(root) == [".other", "sunk-bridge"])
    }

    @Test("a local group of /etc/group is refused before anything is written")
    func localGroupRefused() async throws {
        let root = try SudoFixture.makeRoot()
        defer { Fixture.remove(root) }
        try await SudoFixture.sync(root, SudoFixture.body(), SudoRule())
        let before = NodeFiles(root: root)
        do {
            try await SudoFixture.sync(root, SudoFixture.body(serial: 2), SudoRule(groups: ["localgrp"], noPassword: true))
            Issue.record("a local group was granted sudo")
        } catch {
            #expect("\(error)".contains("--sudo-group localgrp is a local group"), "\(error)")
        }
        #expect(NodeFiles(root: root) == before, "nothing written, not even the NSS files")
        #expect(!FileManager.default.fileExists(atPath: SudoFixture.sudoersFile(root)))
    }

    @Test("a hostile snapshot (groups sudo, wheel, admin; sudoers syntax in its fields) adds no sudo rule")
    func hostileSnapshot() async throws {
        let root = try SudoFixture.makeRoot()
        defer { Fixture.remove(root) }
        var policy = Policy.default
        policy.reservedGroupNames = []
        let mallory = Fixture.user("mallory", uid: 1_000_079, gecos: "%wheel ALL (ALL) NOPASSWD ALL #include /tmp/x")
        let body = Fixture.body(
            users: [Fixture.user("ada", uid: 1_000_071), mallory],
            groups: [Fixture.group("sudo", gid: 2_000_072, members: ["mallory"]),
                     Fixture.group("wheel", gid: 2_000_073, members: ["mallory"]),
                     Fixture.group("admin", gid: 2_000_074, members: ["mallory"]),
                     Fixture.group("hpc-admins", gid: SudoFixture.gid, members: ["ada"])],
            policy: policy)

        let report = try await SudoFixture.sync(root, body, SudoRule())
        #expect(body.groups.contains { $0.name == "wheel" }, "the snapshot really carries the groups")
        for name in ["sudo", "wheel", "admin"] {
            #expect(!report.plan.groups.contains { $0.name == name }, "the node floor refuses \(name)")
        }
        #expect(report.sudoers?.action == SudoersOutcome.Action.none)
        #expect(SudoFixture.directoryNames(root).isEmpty, "no sudo rule without --sudo-group")

        let rule = SudoRule(groups: ["hpc-admins"], noPassword: true)
        try await SudoFixture.sync(root, body, rule)
        let text = Fixture.read(SudoFixture.sudoersFile(root))
        #expect(Array(text.utf8) == Sudoers.render(rule), "only the node's rule: \(text)")
        for word in ["wheel", "sudo ", "admin ", "mallory", "include"] { #expect(!text.contains("%" + word), "\(word)") }
        #expect(!text.contains("mallory") && !text.contains("#include"))
    }

    @Test("warnings: a named group this node does not write, a locked user whose primary group is named")
    func warnings() async throws {
        let root = try SudoFixture.makeRoot()
        defer { Fixture.remove(root) }
        let body = Fixture.body(
            users: [Fixture.user("ada", uid: 1_000_071),
                    Fixture.user("dora", uid: 1_000_074, gid: SudoFixture.gid, active: false)],
            groups: [Fixture.group("hpc-admins", gid: SudoFixture.gid, members: ["ada", "dora"])])
        let report = try await SudoFixture.sync(root, body, SudoRule(groups: ["hpc-admins", "absent-group"], noPassword: true))
        let warnings = report.sudoers?.warnings ?? []
        #expect(warnings.contains { $0.contains("sudo group absent-group is not in the group file") }, "\(warnings)")
        #expect(warnings.contains { $0.contains("sudo group hpc-admins is the primary group of locked user(s) dora") },
                "\(warnings)")
        #expect(SudoFixture.status(root).contains("warning: sudo group absent-group"), "\(SudoFixture.status(root))")
        #expect(!warnings.contains { $0.contains("includedir") }, "no /etc/sudoers in this root: nothing to say")
        // A main sudoers file that does not read /etc/sudoers.d makes the drop-in useless: warned.
        try "root ALL=(ALL:ALL) ALL\n".write(toFile: root + "/etc/sudoers", atomically: false, encoding: .utf8)
        let noInclude = try await SudoFixture.sync(root, body, SudoRule(groups: ["hpc-admins"], noPassword: true))
        #expect(noInclude.sudoers?.warnings.contains { $0.contains("no `@includedir /etc/sudoers.d` line") } == true,
                "\(noInclude.sudoers?.warnings ?? [])")
        try "root ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n".write(toFile: root + "/etc/sudoers", atomically: false, encoding: .utf8)
        let withInclude = try await SudoFixture.sync(root, body, SudoRule(groups: ["hpc-admins"], noPassword: true))
        #expect(withInclude.sudoers?.warnings.contains { $0.contains("includedir") } == false)
        // The dry run reports the same warnings and writes nothing.
        try FileManager.default.removeItem(atPath: SudoFixture.sudoersFile(root))
        let dry = try await SudoFixture.sync(root, body, SudoRule(groups: ["absent-group"]), dryRun: true)
        #expect(dry.sudoWarnings.contains { $0.contains("absent-group") })
        #expect(SudoFixture.directoryNames(root).isEmpty)
    }

    @Test("receiver down: a narrower rule (fewer groups, password instead of NOPASSWD, none) still applies; a wider one waits")
    func revocationWithoutSnapshot() async throws {
        let root = try SudoFixture.makeRoot()
        defer { Fixture.remove(root) }
        let file = SudoFixture.sudoersFile(root)
        let body = Fixture.body(users: [Fixture.user("ada", uid: 1_000_071)],
                                groups: [Fixture.group("hpc-admins", gid: SudoFixture.gid, members: ["ada"]),
                                         Fixture.group("ops", gid: 2_000_075, members: ["ada"])])
        try await SudoFixture.sync(root, body, SudoRule(groups: ["hpc-admins", "ops"], noPassword: true))

        func syncWithoutReceiver(_ rule: SudoRule) async {
            let source = FileSnapshotSource(path: root + "/in/missing.json")
            do {
                _ = try await NodeSyncer(source: source, options: SudoFixture.options(root, rule)).run()
                Issue.record("a missing snapshot was applied")
            } catch {
                #expect(!"\(error)".contains("sudoers"), "the run fails for the snapshot: \(error)")
            }
        }
        await syncWithoutReceiver(SudoRule(groups: ["hpc-admins", "ops", "extra"], noPassword: true))
        #expect(try SystemBytes.read(file) == Sudoers.render(SudoRule(groups: ["hpc-admins", "ops"], noPassword: true)),
                "a grant waits for the group file")
        await syncWithoutReceiver(SudoRule(groups: ["ops"], noPassword: true))
        #expect(try SystemBytes.read(file) == Sudoers.render(SudoRule(groups: ["ops"], noPassword: true)))
        #expect(try SyncState.load(NodePaths(root: root))?.sudoers?.action == .written)
        await syncWithoutReceiver(SudoRule(groups: ["ops"], noPassword: false))
        #expect(try SystemBytes.read(file) == Sudoers.render(SudoRule(groups: ["ops"])))
        await syncWithoutReceiver(SudoRule(groups: ["ops"], noPassword: true))
        #expect(try SystemBytes.read(file) == Sudoers.render(SudoRule(groups: ["ops"])), "NOPASSWD is wider: waits")
        await syncWithoutReceiver(SudoRule())
        #expect(!FileManager.default.fileExists(atPath: file))
        #expect(try SyncState.load(NodePaths(root: root))?.sudoers?.action == .removed)
    }
}

enum SystemBytes {
    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DoctorTestError(description: "cannot read \(path)")
        }
        return Array(data)
    }
}

import Testing
import Foundation
import NodeSync

/// A scratch node root with `/home` (0755) and a skeleton in `/etc/skel`.
private struct HomesFixture {
    let root: String

    init() throws {
        try #require(getuid() == 0, "home creation tests need root (chown to other uids); run the test suite as root")
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("sunk-homes-\(UUID().uuidString)").path
        root = base
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/home", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/etc/skel/.config/app", withIntermediateDirectories: true)
        chmod(root + "/home", 0o755)
        try "# bashrc\n".write(toFile: root + "/etc/skel/.bashrc", atomically: false, encoding: .utf8)
        chmod(root + "/etc/skel/.bashrc", 0o644)
        try "x=1\n".write(toFile: root + "/etc/skel/.config/app/settings", atomically: false, encoding: .utf8)
        chmod(root + "/etc/skel/.config/app/settings", 0o4755) // set-uid bit must not be copied
        chmod(root + "/etc/skel/.config", 0o750)
        symlink("/etc/passwd", root + "/etc/skel/.link")
        mkfifo(root + "/etc/skel/.fifo", 0o644)
    }

    func creator(prefixes: [String] = ["/home"], mode: mode_t = 0o700) -> HomeCreator {
        HomeCreator(root: root, prefixes: prefixes, mode: mode)
    }

    func stat(_ path: String) -> Glibc.stat? {
        var st = Glibc.stat()
        return lstat(root + path, &st) == 0 ? st : nil
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: root) }
}

@Suite("Homes: safe home-directory creation")
struct HomesTests {
    let uid: UInt32 = 1_000_123
    let gid: UInt32 = 2_000_456

    @Test("a new home gets the owner, the mode and the skeleton (links recreated, never followed)")
    func created() throws {
        let f = try HomesFixture()
        defer { f.cleanup() }
        #expect(f.creator().ensureHome(path: "/home/ada", uid: uid, gid: gid) == .created)

        let home = try #require(f.stat("/home/ada"))
        #expect(home.st_mode & S_IFMT == S_IFDIR)
        #expect(home.st_uid == uid && home.st_gid == gid)
        #expect(home.st_mode & 0o7777 == 0o700)

        let bashrc = try #require(f.stat("/home/ada/.bashrc"))
        #expect(bashrc.st_mode & S_IFMT == S_IFREG && bashrc.st_mode & 0o7777 == 0o644)
        #expect(bashrc.st_uid == uid && bashrc.st_gid == gid)
        #expect(try String(contentsOfFile: f.root + "/home/ada/.bashrc", encoding: .utf8) == "# bashrc\n")

        let config = try #require(f.stat("/home/ada/.config"))
        #expect(config.st_mode & S_IFMT == S_IFDIR && config.st_mode & 0o7777 == 0o750 && config.st_uid == uid)
        let settings = try #require(f.stat("/home/ada/.config/app/settings"))
        #expect(settings.st_uid == uid && settings.st_mode & 0o7777 == 0o755, "set-uid bit dropped")
        #expect(try String(contentsOfFile: f.root + "/home/ada/.config/app/settings", encoding: .utf8) == "x=1\n")

        let link = try #require(f.stat("/home/ada/.link"))
        #expect(link.st_mode & S_IFMT == S_IFLNK, "symlink recreated as a symlink")
        #expect(link.st_uid == uid && link.st_gid == gid)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: f.root + "/home/ada/.link") == "/etc/passwd")
        #expect(f.stat("/home/ada/.fifo") == nil, "FIFOs are not copied")

        // The real /etc/passwd was not touched by the link copy.
        var pw = Glibc.stat()
        stat("/etc/passwd", &pw)
        #expect(pw.st_uid == 0)

        // Second run: nothing changes.
        #expect(f.creator().ensureHome(path: "/home/ada", uid: uid, gid: gid) == .alreadyOwned)
    }

    @Test("intermediate directories are created root-owned 0755; the configured mode is used")
    func intermediate() throws {
        let f = try HomesFixture()
        defer { f.cleanup() }
        #expect(f.creator(mode: 0o750).ensureHome(path: "/home/a/ada", uid: uid, gid: gid) == .created)
        let a = try #require(f.stat("/home/a"))
        #expect(a.st_uid == 0 && a.st_gid == 0 && a.st_mode & 0o7777 == 0o755)
        let home = try #require(f.stat("/home/a/ada"))
        #expect(home.st_uid == uid && home.st_mode & 0o7777 == 0o750)
    }

    @Test("a symlinked parent below the prefix is refused and nothing is created through it")
    func symlinkedParent() throws {
        let f = try HomesFixture()
        defer { f.cleanup() }
        try FileManager.default.createDirectory(atPath: f.root + "/elsewhere", withIntermediateDirectories: true)
        symlink(f.root + "/elsewhere", f.root + "/home/team")
        let outcome = f.creator().ensureHome(path: "/home/team/bob", uid: uid, gid: gid)
        guard case .refused(let reason) = outcome else {
            Issue.record("expected refused, got \(outcome)")
            return
        }
        #expect(reason.contains("symbolic link"))
        #expect(f.stat("/elsewhere/bob") == nil, "nothing created through the link")
    }

    @Test("a pre-planted symlink at the home path is refused and its target untouched")
    func plantedSymlinkHome() throws {
        let f = try HomesFixture()
        defer { f.cleanup() }
        try FileManager.default.createDirectory(atPath: f.root + "/target", withIntermediateDirectories: true)
        chmod(f.root + "/target", 0o755)
        symlink(f.root + "/target", f.root + "/home/carol")
        let outcome = f.creator().ensureHome(path: "/home/carol", uid: uid, gid: gid)
        guard case .refused(let reason) = outcome else {
            Issue.record("expected refused, got \(outcome)")
            return
        }
        #expect(reason.contains("symbolic link"))
        let target = try #require(f.stat("/target"))
        #expect(target.st_uid == 0 && target.st_mode & 0o7777 == 0o755, "target not chowned or chmodded")
        #expect(f.stat("/target/.bashrc") == nil, "no skeleton copied through the link")
        // A dangling symlink is refused too (mkdir must not create its target).
        symlink(f.root + "/nonexistent", f.root + "/home/dan")
        guard case .refused = f.creator().ensureHome(path: "/home/dan", uid: uid, gid: gid) else {
            Issue.record("dangling symlink home not refused")
            return
        }
        #expect(f.stat("/nonexistent") == nil)
    }

    @Test("an existing home owned by someone else is reported and left exactly as it was")
    func foreignOwner() throws {
        let f = try HomesFixture()
        defer { f.cleanup() }
        mkdir(f.root + "/home/dave", 0o750)
        chown(f.root + "/home/dave", 1_000_999, 1_000_999)
        chmod(f.root + "/home/dave", 0o751)
        #expect(f.creator().ensureHome(path: "/home/dave", uid: uid, gid: gid) == .foreignOwner(uid: 1_000_999))
        let st = try #require(f.stat("/home/dave"))
        #expect(st.st_uid == 1_000_999 && st.st_gid == 1_000_999)
        #expect(st.st_mode & 0o7777 == 0o751)
        #expect(f.stat("/home/dave/.bashrc") == nil, "no skeleton copied into a foreign home")

        // Owned by the user already (even with another group and mode): left alone.
        mkdir(f.root + "/home/erin", 0o755)
        chown(f.root + "/home/erin", uid, 12345)
        #expect(f.creator().ensureHome(path: "/home/erin", uid: uid, gid: gid) == .alreadyOwned)
        let erin = try #require(f.stat("/home/erin"))
        #expect(erin.st_gid == 12345 && erin.st_mode & 0o7777 == 0o755)
    }

    @Test("paths outside the prefixes, the prefix itself, and unnormalised paths are refused")
    func outsidePrefix() throws {
        let f = try HomesFixture()
        defer { f.cleanup() }
        for path in ["/srv/ada", "/home", "/home/", "/homeland/ada", "/home/../etc", "/home/./ada", "home/ada",
                     "/home//ada", "/", "/etc/ada"] {
            let outcome = f.creator().ensureHome(path: path, uid: uid, gid: gid)
            guard case .refused = outcome else {
                Issue.record("\(path): expected refused, got \(outcome)")
                continue
            }
        }
        #expect(f.stat("/srv") == nil && f.stat("/homeland") == nil && f.stat("/etc/ada") == nil)
    }

    @Test("a file where the home should be is refused; a symlinked prefix is trusted")
    func fileAndTrustedPrefix() throws {
        let f = try HomesFixture()
        defer { f.cleanup() }
        _ = FileManager.default.createFile(atPath: f.root + "/home/frank", contents: Data("x".utf8))
        guard case .refused(let reason) = f.creator().ensureHome(path: "/home/frank", uid: uid, gid: gid) else {
            Issue.record("a regular file at the home path was not refused")
            return
        }
        #expect(reason.contains("not a directory"))

        // The prefix itself may be a symlink (automount, NFS path): it is followed.
        try FileManager.default.createDirectory(atPath: f.root + "/export/homes", withIntermediateDirectories: true)
        symlink(f.root + "/export/homes", f.root + "/nfshome")
        #expect(f.creator(prefixes: ["/home", "/nfshome"]).ensureHome(path: "/nfshome/gina", uid: uid, gid: gid) == .created)
        let st = try #require(f.stat("/export/homes/gina"))
        #expect(st.st_uid == uid && st.st_mode & 0o7777 == 0o700)
    }

    @Test("a missing prefix or a permission error is reported in the outcome, not thrown")
    func permissionErrors() throws {
        let f = try HomesFixture()
        defer { f.cleanup() }
        guard case .failed(let message) = f.creator(prefixes: ["/nohome"]).ensureHome(path: "/nohome/ada", uid: uid, gid: gid) else {
            Issue.record("a missing prefix must be a failure")
            return
        }
        #expect(message.contains("ENOENT"))

        // An intermediate directory writable by others is refused (someone could swap the home).
        mkdir(f.root + "/home/shared", 0o777)
        chmod(f.root + "/home/shared", 0o777)
        guard case .refused(let reason) = f.creator().ensureHome(path: "/home/shared/hal", uid: uid, gid: gid) else {
            Issue.record("a world-writable intermediate directory must be refused")
            return
        }
        #expect(reason.contains("not writable by group or others"))
    }
}

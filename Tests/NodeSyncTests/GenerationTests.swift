// One generation: every node file changes at one rename. The layout, recovery, and a failure
// injected at every single write step of a sync (through SyncOptions.failurePoint), from the
// generation layout and from the layout before generations (regular files).
import Foundation
import NodeSync
import SunkModel
import SunkSnapshot
import Testing
import TestSupport
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Shared by the generation tests: two snapshots A and B that differ in many ways, and what a reader
/// sees at the fixed paths.
enum GenerationSupport {
    /// 50 users (A) and the same org one change later (B): gecos, keys, group members and shells
    /// changed, 3 users removed, 3 added, one group gone, one new.
    static func bodies(users count: Int = 50) -> (a: SnapshotBody, b: SnapshotBody) {
        let base = Fixture.users(count)
        let groupsA = [Fixture.group("alpha", gid: 2000001, members: base.prefix(20).map(\.name).sorted()),
                       Fixture.group("beta", gid: 2000002, members: base.suffix(10).map(\.name).sorted())]
        var usersB = Array(base.dropFirst(3))
        for i in usersB.indices where i % 4 == 0 { usersB[i].gecos = "Changed \(usersB[i].name)" }
        for i in usersB.indices where i % 5 == 0 {
            usersB[i].keys = [Fixture.key(UInt8(truncatingIfNeeded: i + 77), comment: "\(usersB[i].name)@new")]
        }
        for i in usersB.indices where i % 7 == 0 { usersB[i].shell = "/bin/sh" }
        usersB += (1...3).map { Fixture.user("n00\($0)", uid: 150000 + UInt32($0)) }
        usersB.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        let remaining = Set(usersB.map(\.name))
        let groupsB = [Fixture.group("alpha", gid: 2000001,
                                     members: (base.prefix(30).map(\.name) + ["n001"]).filter(remaining.contains).sorted()),
                       Fixture.group("gamma", gid: 2000003, members: ["n002", "n003"])]
        return (Fixture.body(users: base, groups: groupsA, serial: 1), Fixture.body(users: usersB, groups: groupsB, serial: 2))
    }

    /// Writes A and B into `directory` (outside every node root, so that state.json's `source` is the
    /// same in every root) and returns their paths.
    static func writeSnapshots(_ bodies: (a: SnapshotBody, b: SnapshotBody), in directory: String) throws -> (a: String, b: String) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let a = directory + "/A.json", b = directory + "/B.json"
        try SnapshotDocument.make(body: bodies.a).encoded().write(to: URL(fileURLWithPath: a))
        try SnapshotDocument.make(body: bodies.b).encoded().write(to: URL(fileURLWithPath: b))
        return (a, b)
    }

    /// Every fixed path of `format` (NSS files, keys.cache, snapshot.json, state.json) read through
    /// its links; absent names are missing files.
    static func view(_ root: String, format: NSSFormat) -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for link in NodeLayout.links(format, paths: NodePaths(root: root)) {
            if let data = FileManager.default.contents(atPath: link.path) { out[link.name] = [UInt8](data) }
        }
        return out
    }

    /// The generation directory every fixed path resolves into, or a description of the mix.
    static func resolvedGeneration(_ root: String, format: NSSFormat) -> Result<String, GenerationMix> {
        var directories = Set<String>()
        for link in NodeLayout.links(format, paths: NodePaths(root: root)) {
            guard let p = realpath(link.path, nil) else { return .failure(GenerationMix(detail: "\(link.path) does not resolve")) }
            let resolved = String(cString: p)
            free(p)
            directories.insert(URL(fileURLWithPath: resolved).deletingLastPathComponent().path)
        }
        guard directories.count == 1, let only = directories.first else {
            return .failure(GenerationMix(detail: "fixed paths resolve into \(directories.sorted())"))
        }
        return .success(only)
    }

    struct GenerationMix: Error, CustomStringConvertible { var detail: String; var description: String { detail } }

    /// Temp names and generations beyond current and the previous one.
    static func strays(_ root: String) -> [String] {
        let paths = NodePaths(root: root)
        var out: [String] = []
        for dir in [paths.stateDirectory, paths.extrausersDirectory, paths.etc] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            out += names.filter { $0.contains(".sunk-tmp.") }.map { dir + "/" + $0 }
        }
        let generations = (try? FileManager.default.contentsOfDirectory(atPath: paths.generationsDirectory)) ?? []
        let current = GenerationStore.currentName(paths)
        let previous = generations.compactMap { Int($0) }.filter { $0 < Int(current ?? "0") ?? 0 }.max().map(String.init)
        out += generations.filter { $0 != current && $0 != previous }.map { paths.generation($0) }
        return out
    }

    static func serial(_ bytes: [UInt8]?) -> Int64? {
        guard let bytes, let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return nil }
        return (object["serial"] as? NSNumber)?.int64Value
    }

    static func sync(_ root: String, _ snapshot: String, format: NSSFormat,
                     failurePoint: (@Sendable (String) throws(SyncError) -> Void)? = nil) async throws(SyncError) -> SyncReport {
        try await NodeSyncer(source: FileSnapshotSource(path: snapshot),
                             options: SyncOptions(root: root, format: format, acceptChanges: true,
                                                  failurePoint: failurePoint)).run()
    }

    /// Rewrites a synced root into the layout before generations: regular files at every fixed path
    /// (same bytes, mode, owner) and a state.json with the per-run fields, as the old code wrote it.
    static func makeLegacy(_ root: String, format: NSSFormat) throws {
        let paths = NodePaths(root: root)
        var state = try #require(try SyncState.load(paths))
        state.generation = nil
        for link in NodeLayout.links(format, paths: paths) {
            var st = stat()
            #expect(stat(link.path, &st) == 0)
            var bytes = try #require(FileManager.default.contents(atPath: link.path))
            if link.name == "state.json" {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                encoder.dateEncodingStrategy = .iso8601
                bytes = try encoder.encode(state) + Data("\n".utf8)
            }
            unlink(link.path)
            #expect(FileManager.default.createFile(atPath: link.path, contents: bytes))
            chmod(link.path, st.st_mode & 0o7777)
            chown(link.path, st.st_uid, st.st_gid)
        }
        try FileManager.default.removeItem(atPath: paths.generationsDirectory)
        unlink(paths.currentLink)
        unlink(paths.lastRunFile)
    }
}

/// Records seam labels, or fails at the n-th call.
final class StepSeam: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var labels: [String] = []
    let failAt: Int?

    init(failAt: Int? = nil) { self.failAt = failAt }

    var closure: @Sendable (String) throws(SyncError) -> Void {
        { (label: String) throws(SyncError) in try self.visit(label) }
    }

    private func visit(_ label: String) throws(SyncError) {
        lock.lock()
        let index = labels.count
        labels.append(label)
        lock.unlock()
        if index == failAt { throw SyncError.io(operation: "injected failure at \(label)", path: label, errno: EIO) }
    }
}

@Suite("Generations: layout, unchanged runs, retention")
struct GenerationLayoutTests {
    @Test(arguments: NSSFormat.allCases)
    func layoutAfterSyncs(format: NSSFormat) async throws {
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        let paths = NodePaths(root: root)
        let snapshots = try GenerationSupport.writeSnapshots(GenerationSupport.bodies(), in: root + "/in")
        let first = try await GenerationSupport.sync(root, snapshots.a, format: format)
        #expect(first.result == .applied)
        #expect(first.generation == "1")
        #expect(first.summary.hasSuffix("; generation 1"))
        #expect(SystemCallProbe.link(paths.currentLink) == "generations/1")
        for link in NodeLayout.links(format, paths: paths) {
            #expect(SystemCallProbe.link(link.path) == link.target, "\(link.path)")
        }
        #expect(Fixture.mode(paths.generation("1")) == 0o755)
        #expect(Fixture.mode(paths.generationsDirectory) == 0o755)
        let shadowName = format == .extrausers ? "shadow" : "shadow.cache"
        #expect(Fixture.mode(paths.generation("1") + "/" + shadowName) == 0o640)
        #expect(Fixture.mode(paths.generation("1") + "/snapshot.json") == 0o600)
        #expect(Fixture.mode(paths.generation("1") + "/keys.cache") == 0o644)
        if geteuid() == 0 {
            var st = stat()
            stat(paths.generation("1") + "/" + shadowName, &st)
            #expect(st.st_uid == 0 && st.st_gid == 42, "root:shadow from <root>/etc/group")
        }
        if format == .cache {
            // Indexes are written after their data file: never older.
            func mtime(_ name: String) -> timespec {
                var st = stat()
                stat(paths.generation("1") + "/" + name, &st)
                return st.st_mtim
            }
            for (data, index) in [("passwd.cache", "passwd.cache.ixuid"), ("group.cache", "group.cache.ixgid")] {
                let d = mtime(data), i = mtime(index)
                #expect(i.tv_sec > d.tv_sec || (i.tv_sec == d.tv_sec && i.tv_nsec >= d.tv_nsec), "\(index)")
            }
        }
        // state.json (a link) names the applied snapshot; last-run.json holds the run's outcome.
        let stateText = Fixture.read(paths.stateFile)
        #expect(stateText.contains("\"serial\" : 1"))
        #expect(!stateText.contains("lastSuccess"), "per-run fields live in last-run.json:\n\(stateText)")
        #expect(Fixture.read(paths.lastRunFile).contains("\"lastResult\" : \"applied\""))
        let state = try #require(try SyncState.load(paths))
        #expect(state.serial == 1 && state.lastResult == .applied && state.lastSuccess != nil && state.generation == "1")
        #expect(StatusReport(state: state, now: Date(), maxAge: 3600).text.contains("generation: 1\n"))

        // Same snapshot again: no new generation, only last-run.json changes.
        let before = NodeFiles(root: root)
        let again = try await GenerationSupport.sync(root, snapshots.a, format: format)
        #expect(again.result == .unchanged && again.generation == nil && again.writtenFiles.isEmpty)
        #expect(NodeFiles(root: root) == before)
        #expect(try SyncState.load(paths)?.lastResult == .unchanged)

        // B: generation 2, 1 kept as the previous one; A again: 3, and 1 is deleted.
        let toB = try await GenerationSupport.sync(root, snapshots.b, format: format)
        #expect(toB.generation == "2")
        #expect(toB.writtenFiles.contains(paths.keysCache))
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: paths.generationsDirectory)) == ["1", "2"])
        let toA = try await GenerationSupport.sync(root, snapshots.a, format: format)
        #expect(toA.generation == "3")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: paths.generationsDirectory)) == ["2", "3"])
        #expect(try SyncState.load(paths)?.serial == 1)
        // Files equal to the previous generation's are hard links to it (same inode).
        var a = stat(), b = stat()
        stat(paths.generation("2") + "/" + shadowName, &a)
        stat(paths.generation("3") + "/" + shadowName, &b)
        #expect(a.st_ino != b.st_ino, "shadow differs between A and B")
        let stateB = try #require(try SyncState.load(paths))
        #expect(stateB.counts?.users == 50)
    }

    @Test("directories sync creates are 0755 whatever the umask (the helper and NSS read unprivileged)")
    func umaskDoesNotNarrowDirectories() async throws {
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        let paths = NodePaths(root: root)
        let snapshots = try GenerationSupport.writeSnapshots(GenerationSupport.bodies(users: 3), in: root + "/in")
        let out = try await run("/bin/sh", ["-c", "umask 077; exec \"$0\" sync --snapshot \"$1\" --root \"$2\" --quiet",
                                                     try Binaries.sunkBridge(), snapshots.a, root], error: .separate)
        #expect(out.status == 0, "\(out.stderr)")
        for dir in [root + "/var", root + "/var/lib", paths.stateDirectory, paths.extrausersDirectory,
                    paths.generationsDirectory, paths.generation("1")] {
            #expect(Fixture.mode(dir) == 0o755, "\(dir)")
        }
        #expect(Fixture.mode(paths.keysCache) == 0o644)
    }

    @Test func serialOnlyChangeMakesAGenerationButWritesNoNSSFile() async throws {
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        let paths = NodePaths(root: root)
        let users = Fixture.users(5)
        _ = try await Fixture.syncBody(Fixture.body(users: users, serial: 1), root: root)
        let report = try await Fixture.syncBody(Fixture.body(users: users, serial: 9), root: root)
        #expect(report.result == .unchanged)
        #expect(report.writtenFiles.isEmpty)
        #expect(report.generation == "2", "state.json must name serial 9, so it is a new generation")
        #expect(try SyncState.load(paths)?.serial == 9)
        var a = stat(), b = stat()
        stat(paths.generation("1") + "/passwd", &a)
        stat(paths.generation("2") + "/passwd", &b)
        #expect(a.st_ino == b.st_ino, "an unchanged file is hard-linked from the previous generation")
    }

    @Test func recoveryRemovesWhatAKilledRunLeft() async throws {
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        let paths = NodePaths(root: root)
        let snapshots = try GenerationSupport.writeSnapshots(GenerationSupport.bodies(), in: root + "/in")
        _ = try await GenerationSupport.sync(root, snapshots.a, format: .extrausers)
        _ = try await GenerationSupport.sync(root, snapshots.b, format: .extrausers)
        // What a run killed at various points leaves: a half-written generation, an old one not yet
        // pruned, temp links and files.
        try FileManager.default.createDirectory(atPath: paths.generation("7"), withIntermediateDirectories: true)
        try Data("half".utf8).write(to: URL(fileURLWithPath: paths.generation("7") + "/passwd"))
        try FileManager.default.createDirectory(atPath: paths.generation("0"), withIntermediateDirectories: true)
        symlink("generations/7", paths.stateDirectory + "/.current.sunk-tmp.1.2")
        symlink("../sunk-bridge/current/passwd", paths.extrausersDirectory + "/.passwd.sunk-tmp.3.4")
        try Data().write(to: URL(fileURLWithPath: paths.stateDirectory + "/.last-run.json.sunk-tmp.5.6"))
        try Data().write(to: URL(fileURLWithPath: paths.etc + "/.unrelated.sunk-tmp.7.8"))
        let view = GenerationSupport.view(root, format: .extrausers)
        let again = try await GenerationSupport.sync(root, snapshots.b, format: .extrausers)
        #expect(again.generation == nil)
        #expect(GenerationSupport.strays(root) == [paths.etc + "/.unrelated.sunk-tmp.7.8"], "only files of ours are removed")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: paths.generationsDirectory)) == ["1", "2"])
        #expect(GenerationSupport.view(root, format: .extrausers) == view)
    }
}

@Suite("Generations: a failure at every write step leaves one generation", .serialized)
struct GenerationFailureInjectionTests {
    /// Runs `prepare` (a node at A) then B with a failure at each step in turn.
    static func injectEverywhere(format: NSSFormat, legacy: Bool) async throws {
        let base = try Fixture.makeRoot()
        defer { Fixture.remove(base) }
        let snapshots = try GenerationSupport.writeSnapshots(GenerationSupport.bodies(), in: base + "/in")

        // A node at A. From the generation layout it has B as its previous generation, so that the
        // run to B also prunes one (generations 1 = B, 2 = A; B becomes 3 and 1 is removed), and
        // what an earlier killed run left (a half-written generation 9, a temp link), so that the
        // recovery's removals are steps too.
        func prepared() async throws -> String {
            let root = try Fixture.makeRoot()
            let paths = NodePaths(root: root)
            if !legacy { _ = try await GenerationSupport.sync(root, snapshots.b, format: format) }
            _ = try await GenerationSupport.sync(root, snapshots.a, format: format)
            if legacy {
                try GenerationSupport.makeLegacy(root, format: format)
            } else {
                try FileManager.default.createDirectory(atPath: paths.generation("9"), withIntermediateDirectories: true)
                try Data("half".utf8).write(to: URL(fileURLWithPath: paths.generation("9") + "/group"))
                symlink("generations/9", paths.stateDirectory + "/.current.sunk-tmp.1.2")
            }
            return root
        }
        // What a reader must see: A's files (or the legacy ones), or B's.
        let rootA = try await prepared()
        let viewA = GenerationSupport.view(rootA, format: format)
        let recorder = StepSeam()
        _ = try await GenerationSupport.sync(rootA, snapshots.b, format: format, failurePoint: recorder.closure)
        let viewB = GenerationSupport.view(rootA, format: format)
        Fixture.remove(rootA)
        #expect(viewA.count == NodeLayout.links(format, paths: NodePaths(root: "/")).count)
        #expect(viewB.keys.sorted() == viewA.keys.sorted() && viewA != viewB)
        #expect(GenerationSupport.serial(viewA["state.json"]) == 1 && GenerationSupport.serial(viewB["state.json"]) == 2)

        let steps = recorder.labels
        let commit = try #require(steps.lastIndex(of: "rename var/lib/sunk-bridge/current"), "\(steps)")
        print("[generations] \(format.rawValue)\(legacy ? " from the layout before generations" : ""): "
              + "\(steps.count) steps, commit at #\(commit): \(steps.joined(separator: " | "))")
        let nss = NodeLayout.nssNames(format)
        #expect(steps.count >= (legacy ? 2 : 1) * (nss.count + 3) + 8, "every file, fsync, switch, prune, last-run")
        for name in nss + NodeLayout.commonNames {
            #expect(steps.contains { $0.hasPrefix("write var/lib/sunk-bridge/generations/") && $0.hasSuffix("/" + name) }
                    || steps.contains { $0.hasPrefix("link var/lib/sunk-bridge/generations/") && $0.hasSuffix("/" + name) },
                    "\(name) is a step")
        }
        for label in ["fsync var/lib/sunk-bridge", "symlink var/lib/sunk-bridge/current (temp)",
                      "write var/lib/sunk-bridge/last-run.json"] {
            #expect(steps.contains(label), "\(label)")
        }
        #expect(steps.contains { $0.hasPrefix("fsync var/lib/sunk-bridge/generations/") })
        #expect(steps.contains("remove var/lib/sunk-bridge/generations/1") == !legacy,
                "pruning: from the generation layout the oldest of three goes; legacy makes only two")
        if !legacy {
            #expect(Array(steps.prefix(2)) == ["remove var/lib/sunk-bridge/.current.sunk-tmp.1.2",
                                               "remove var/lib/sunk-bridge/generations/9"], "recovery first")
        }
        if legacy {
            #expect(steps.contains { $0.hasPrefix("capture var/lib/sunk-bridge/generations/1/") })
            for link in NodeLayout.links(format, paths: NodePaths(root: "/")) {
                let shown = String(link.path.dropFirst())
                #expect(steps.contains("link " + shown), "conversion of \(shown)")
            }
        }

        for k in steps.indices {
            let root = try await prepared()
            defer { Fixture.remove(root) }
            // A legacy state.json carries this root's run times: compare with this root's own A.
            let viewA = legacy ? GenerationSupport.view(root, format: format) : viewA
            let seam = StepSeam(failAt: k)
            do {
                _ = try await GenerationSupport.sync(root, snapshots.b, format: format, failurePoint: seam.closure)
                Issue.record("step #\(k) \(steps[k]): the run succeeded despite the failure")
            } catch {
                #expect(error.description.contains("injected failure at \(steps[k])"), "#\(k): \(error)")
            }
            #expect(seam.labels.prefix(k + 1).elementsEqual(steps.prefix(k + 1)), "#\(k): the same steps in the same order")
            let view = GenerationSupport.view(root, format: format)
            let expected = k <= commit ? viewA : viewB
            let detail = "#\(k) \(steps[k]): readers see \(view == viewA ? "A" : view == viewB ? "B" : "a MIX") "
                + "but the switch is \(k <= commit ? "not done (A)" : "done (B)"); differing: "
                + "\(expected.keys.filter { view[$0] != expected[$0] }.sorted())"
            #expect(view == expected, "\(detail)")
            let state = try SyncState.load(NodePaths(root: root))
            #expect(state?.serial == GenerationSupport.serial(view["state.json"]), "#\(k)")
            #expect(state?.serial == (k <= commit ? 1 : 2), "#\(k)")
            if steps[k] != "write var/lib/sunk-bridge/last-run.json" {
                #expect(state?.lastResult == .failed, "#\(k)")
            }
            if !legacy || k > commit {
                if case .failure(let mix) = GenerationSupport.resolvedGeneration(root, format: format) {
                    Issue.record("#\(k) \(steps[k]): \(mix)")
                }
            }
            // The next run finishes the job: exactly B, every path a link, nothing left over.
            let report = try await GenerationSupport.sync(root, snapshots.b, format: format)
            #expect(GenerationSupport.view(root, format: format) == viewB, "#\(k): after the next run")
            #expect(GenerationSupport.strays(root).isEmpty, "#\(k): \(GenerationSupport.strays(root))")
            #expect(try SyncState.load(NodePaths(root: root))?.lastResult != .failed)
            if case .failure(let mix) = GenerationSupport.resolvedGeneration(root, format: format) {
                Issue.record("#\(k) after the next run: \(mix)")
            }
            for link in NodeLayout.links(format, paths: NodePaths(root: root)) {
                #expect(SystemCallProbe.link(link.path) == link.target, "#\(k) \(link.path)")
            }
            _ = report
        }
    }

    @Test(arguments: NSSFormat.allCases)
    func fromGenerationLayout(format: NSSFormat) async throws {
        try await Self.injectEverywhere(format: format, legacy: false)
    }

    @Test(arguments: NSSFormat.allCases)
    func fromLayoutBeforeGenerations(format: NSSFormat) async throws {
        try await Self.injectEverywhere(format: format, legacy: true)
    }
}

/// readlink(2) for the tests.
enum SystemCallProbe {
    static func link(_ path: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: path)
    }
}

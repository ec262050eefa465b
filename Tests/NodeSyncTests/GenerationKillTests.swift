// SIGKILL real `sunk-bridge sync` runs at random moments of a 1,000-user change and check, after
// every kill, that each node file belongs to one generation (A's or B's, all the same), that the key
// helper and real NSS answer consistently with it, and that the next run finishes cleanly.
//
// Reproduce a failure with the seed printed in the test output: SUNK_KILL_SEED=<seed> (the delays are
// fractions of the measured run duration, so the moments match as far as the machine's speed does); the number of
// kills that must land (the run still going when SIGKILL comes) is SUNK_KILLS (default 80).
import Foundation
import NodeSync
import SunkModel
import SunkSnapshot
import Testing
import TestSupport
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

enum KillSupport {
    /// 1,000 candidate users; A lacks every 20th from #20, B every 20th from #10 (50 removed, 50
    /// added each way, within the default 10 % removal guard). B also changes a third of the gecos, a
    /// quarter of the keys, some shells, and every group's members.
    static func bodies() -> (a: SnapshotBody, b: SnapshotBody) {
        func user(_ i: Int, variant: Bool) -> SnapshotUser {
            let name = "k" + String(repeating: "0", count: 4 - String(i).count) + String(i)
            var u = Fixture.user(name, uid: 3_000_000 + UInt32(i), gid: 3_000_000 + UInt32(i),
                                 keys: [Fixture.key(UInt8(truncatingIfNeeded: i), comment: "\(name)@a")],
                                 gecos: "Kill Test \(i)")
            if variant {
                if i % 3 == 0 { u.gecos = "Kill Test \(i) (B)" }
                if i % 4 == 0 { u.keys = [Fixture.key(UInt8(truncatingIfNeeded: i &+ 101), comment: "\(name)@b")] }
                if i % 9 == 0 { u.shell = "/bin/sh" }
            }
            return u
        }
        let a = (1...1000).filter { $0 % 20 != 0 }.map { user($0, variant: false) }
        let b = (1...1000).filter { $0 % 20 != 10 }.map { user($0, variant: true) }
        func groups(_ users: [SnapshotUser], modulo: Int) -> [SnapshotGroup] {
            (0..<20).map { j in
                Fixture.group("proj\(j < 10 ? "0" : "")\(j)", gid: 4_000_000 + UInt32(j),
                              members: users.enumerated().filter { $0.offset % modulo == j }.map(\.element.name).sorted())
            }
        }
        return (Fixture.body(users: a, groups: groups(a, modulo: 20), serial: 100),
                Fixture.body(users: b, groups: groups(b, modulo: 25), serial: 101))
    }

    /// A node root below `directory` (root-owned, 0755 all the way: the key helper checks that).
    static func makeNodeRoot(_ path: String) throws {
        for d in ["", "/etc", "/var", "/var/lib"] {
            try FileManager.default.createDirectory(atPath: path + d, withIntermediateDirectories: true)
            chmod(path + d, 0o755)
        }
        try "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Local Alice:/home/alice:/bin/bash\n"
            .write(toFile: path + "/etc/passwd", atomically: false, encoding: .utf8)
        try "root:x:0:\nshadow:x:42:\nalice:x:1000:\n".write(toFile: path + "/etc/group", atomically: false, encoding: .utf8)
        try "/bin/sh\n/bin/bash\n".write(toFile: path + "/etc/shells", atomically: false, encoding: .utf8)
    }

    /// Runs `sunk-bridge sync`, SIGKILLs it after `delay` seconds (nil: never), waits. Returns
    /// (killed by the signal, exit status, seconds it ran).
    static func sync(_ bin: String, snapshot: String, root: String, killAfter delay: Double?) async throws -> (killed: Bool, status: Int32, seconds: Double) {
        let r = try await runKilling(bin, ["sync", "--snapshot", snapshot, "--root", root, "--quiet", "--accept-changes"],
                                     after: delay)
        return (r.termination == .signaled(SIGKILL), r.termination.status, r.seconds)
    }

    /// Runs a program to completion: (status, stdout).
    static func run(_ path: String, _ args: [String]) async throws -> (Int32, String) {
        let r = try await TestSupport.run(path, args, error: .discarded)
        return (r.status, r.output)
    }

    /// `name -> line` of a passwd or group file.
    static func lines(_ bytes: [UInt8]?) -> [String: String] {
        var out: [String: String] = [:]
        for line in String(decoding: bytes ?? [], as: UTF8.self).split(separator: "\n") {
            out[String(line.prefix { $0 != ":" })] = String(line)
        }
        return out
    }

    static func regex(_ literal: String) -> String {
        var out = "^"
        for c in literal {
            if "\\^$.|?*+()[]{}".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out + "$"
    }
}

@Suite("Generations: SIGKILLed syncs", .serialized, .tags(.e2e, .root, .nss, .crash), .exclusive, .timeLimit(.minutes(20)))
struct GenerationKillTests {
    @Test func killedSyncsLeaveOneGeneration() async throws {
        try requireRoot("the key helper needs root-owned directories; NSS checks need mount namespaces")
        let bin = try Binaries.sunkBridge()
        let helper = try AKBinaries.helper()
        let base = try AKSupport.safeDirectory()
        defer { AKSupport.remove(base) }
        let bodies = KillSupport.bodies()
        let snapshots = try GenerationSupport.writeSnapshots(bodies, in: base + "/in")
        let started = Date()

        // Expected bytes: unkilled syncs of A and of B into their own roots.
        func render(_ snapshot: String, _ name: String) async throws -> [String: [UInt8]] {
            let root = base + "/expect-" + name
            try KillSupport.makeNodeRoot(root)
            let r = try await KillSupport.sync(bin, snapshot: snapshot, root: root, killAfter: nil)
            try #require(r.status == 0 && !r.killed, "sync \(name) into a fresh root failed: \(r)")
            return GenerationSupport.view(root, format: .extrausers)
        }
        let viewA = try await render(snapshots.a, "a"), viewB = try await render(snapshots.b, "b")
        try #require(viewA.count == 6 && viewB.count == 6 && viewA != viewB)
        for name in viewA.keys { #expect(viewA[name] != viewB[name], "\(name) differs between A and B") }
        let usersA = Dictionary(uniqueKeysWithValues: bodies.a.users.map { ($0.name, $0) })
        let usersB = Dictionary(uniqueKeysWithValues: bodies.b.users.map { ($0.name, $0) })

        // The node under test, at A; one run's duration measured both ways. The machine is shared, so
        // the estimate then follows the median of the latest unkilled runs (the same change each).
        let root = base + "/node"
        try KillSupport.makeNodeRoot(root)
        try #require(try await KillSupport.sync(bin, snapshot: snapshots.a, root: root, killAfter: nil).status == 0)
        let toB = try await KillSupport.sync(bin, snapshot: snapshots.b, root: root, killAfter: nil)
        let toA = try await KillSupport.sync(bin, snapshot: snapshots.a, root: root, killAfter: nil)
        try #require(toB.status == 0 && toA.status == 0)
        var recent = [toB.seconds, toA.seconds]
        func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
        var duration = median(recent)
        try #require(GenerationSupport.view(root, format: .extrausers) == viewA)

        let environment = ProcessInfo.processInfo.environment
        let seed = environment["SUNK_KILL_SEED"].flatMap { UInt64($0) } ?? 20_261_205
        let kills = environment["SUNK_KILLS"].flatMap { Int($0) } ?? 80
        var rng = SplitMix64(seed: seed)
        print("[kill] seed \(seed) (SUNK_KILL_SEED), \(kills) kills, one run \(Int(duration * 1000)) ms, "
              + "delays uniform in [0, \(Int(duration * 1200))] ms, every other one aimed at the writing")
        // The writing is a few milliseconds at the end of a run (its fsyncs are fast here), so kills
        // spread over the whole run rarely land in it. Every other kill is aimed at it: between the
        // latest moment (as a fraction of the run) a kill still found nothing changed and the
        // earliest one a run had already written or finished, widened by a twentieth of a run each way.
        var quietUntil = 0.0, writtenFrom = 1.2

        var counts = (noChange: 0, midWrite: 0, switched: 0, finished: 0)
        var nssChecks: [Int] = []
        let probes = ["k0004", "k0010", "k0020", "k0012", "k0999"]   // key change, removed in B, removed in A, other
        var i = 0
        // Until `kills` have landed and at least one of them after the writing began (a run's
        // duration jitters by more than the writing lasts, so that one can take extra attempts).
        while (counts.noChange + counts.midWrite + counts.switched < kills || counts.midWrite + counts.switched == 0)
                && i < 3 * kills {
            defer { i += 1 }
            let target = i % 2 == 0 ? snapshots.b : snapshots.a
            let (targetView, previousView) = i % 2 == 0 ? (viewB, viewA) : (viewA, viewB)
            let low = max(0, min(quietUntil, writtenFrom) - 0.05), high = max(quietUntil, writtenFrom) + 0.05
            let fraction = i % 2 == 0 ? rng.unit() * 1.2 : low + rng.unit() * (high - low)
            let delay = fraction * duration
            let r = try await KillSupport.sync(bin, snapshot: target, root: root, killAfter: delay)

            // Every fixed path in one generation, whose bytes are exactly A's or exactly B's.
            let view = GenerationSupport.view(root, format: .extrausers)
            let strays = GenerationSupport.strays(root)
            if !r.killed { counts.finished += 1 }
            else if !strays.isEmpty { counts.midWrite += 1 }
            else if view == targetView { counts.switched += 1 }
            else { counts.noChange += 1 }
            if r.killed && strays.isEmpty && view != targetView { quietUntil = max(quietUntil, fraction) }
            else { writtenFrom = min(writtenFrom, fraction) }
            let which = view == viewA ? "A" : view == viewB ? "B" : "MIX"
            let mixDetail = "kill #\(i) after \(Int(delay * 1000)) ms: files from both generations: "
                + "\(viewA.keys.filter { view[$0] != viewA[$0] }.sorted()) differ from A, "
                + "\(viewB.keys.filter { view[$0] != viewB[$0] }.sorted()) from B"
            #expect(which != "MIX", "\(mixDetail)")
            if case .failure(let mix) = GenerationSupport.resolvedGeneration(root, format: .extrausers) {
                Issue.record("kill #\(i): \(mix)")
            }
            let state = try SyncState.load(NodePaths(root: root))
            #expect(state?.serial == (which == "A" ? 100 : 101), "kill #\(i): state.json names serial \(state?.serial ?? -1) over \(which)'s files")
            #expect(view == targetView || view == previousView)

            // The key helper answers from the same generation as passwd.
            let passwd = KillSupport.lines(view["passwd"])
            let users = which == "A" ? usersA : usersB
            for name in probes {
                let uid = passwd[name].map { String($0.split(separator: ":")[2]) }
                    ?? String((usersA[name] ?? usersB[name])!.uid)
                let (status, out) = try await KillSupport.run(helper, ["--root", root, name, uid])
                #expect(status == 0, "kill #\(i): helper exited \(status) for \(name)")
                let keys = out.split(separator: "\n").map(String.init)
                if passwd[name] != nil {
                    #expect(keys == users[name]?.keys, "kill #\(i): helper keys for \(name) are not generation \(which)'s")
                } else {
                    #expect(keys.isEmpty, "kill #\(i): \(name) is not in generation \(which) yet the helper served keys")
                }
            }

            // Real NSS (libnss-extrausers in a private mount namespace): every 10th attempt, and after
            // every kill that left something on disk (mid-write or after the switch).
            if i % 10 == 9 || (r.killed && (!strays.isEmpty || view == targetView)) {
                let group = KillSupport.lines(view["group"])
                var checks: [(String, String)] = []
                for name in probes {
                    if let line = passwd[name] { checks.append((KillSupport.regex(line), "getent passwd \(name)")) }
                    else { checks.append(("!", "getent passwd \(name)")) }
                }
                for g in ["proj03", "proj17"] { checks.append((KillSupport.regex(try #require(group[g])), "getent group \(g)")) }
                let checksFile = base + "/checks.tsv"
                try checks.map { "\($0.0)\t\($0.1)\n" }.joined().write(toFile: checksFile, atomically: false, encoding: .utf8)
                let (status, out) = try await KillSupport.run("/bin/bash", [NSSEndToEndTests.script, "extrausers", root, checksFile])
                #expect(status == 0 && out.contains("ALL CHECKS PASSED"), "kill #\(i): getent disagrees with generation \(which):\n\(out)")
                nssChecks.append(i)
            }

            // The next run finishes: exactly the target, nothing half-done left.
            let finish = try await KillSupport.sync(bin, snapshot: target, root: root, killAfter: nil)
            #expect(finish.status == 0 && !finish.killed, "kill #\(i): the next run failed (\(finish.status))")
            recent = Array((recent + [finish.seconds]).suffix(9))
            duration = median(recent)
            #expect(GenerationSupport.view(root, format: .extrausers) == targetView, "kill #\(i): the next run did not finish")
            #expect(GenerationSupport.strays(root).isEmpty, "kill #\(i): left behind \(GenerationSupport.strays(root))")
            let generations = try FileManager.default.contentsOfDirectory(atPath: NodePaths(root: root).generationsDirectory)
            #expect(generations.count <= 2, "kill #\(i): generations \(generations.sorted())")
            #expect(try SyncState.load(NodePaths(root: root))?.lastResult != .failed)
        }
        let seconds = Date().timeIntervalSince(started)
        let landed = counts.noChange + counts.midWrite + counts.switched
        print("[kill] \(landed) runs killed in \(i) attempts (seed \(seed)) in \(Int(seconds)) s: \(counts.noChange) before any "
              + "change on disk, \(counts.midWrite) mid-write (half-done generation, temp or unpruned generation left), "
              + "\(counts.switched) after the switch (before last-run.json), \(counts.finished) runs finished before the kill; "
              + "getent through NSS at attempts \(nssChecks); run duration now \(Int(duration * 1000)) ms")
        #expect(landed >= kills && kills >= 50, "\(landed) kills landed")
        #expect(counts.midWrite + counts.switched > 0, "no kill landed after the run started writing: delays too short?")
    }
}

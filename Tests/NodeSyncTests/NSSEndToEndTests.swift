// Real glibc NSS (libnss-extrausers, libnss-cache) resolving the files `sync` wrote, in a private
// mount namespace (Tests/e2e/nss/nss_check.sh). Needs root and both modules; fails, never skips.
import Foundation
import NodeSync
import SunkModel
import SunkSnapshot
import Testing
import TestSupport

@Suite("NSS end to end (real glibc modules)", .serialized, .tags(.e2e, .root, .nss), .timeLimit(.minutes(5)))
struct NSSEndToEndTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../e2e/nss/nss_check.sh").standardizedFileURL.path

    /// uids 99999 and 100000 straddle a digit boundary: "100000" < "99999" bytewise, which is the
    /// order libnss-cache's binary search needs.
    static let body = Fixture.body(
        users: [Fixture.user("nine", uid: 99999, gecos: "Nine Nines"),
                Fixture.user("hundred", uid: 100000),
                Fixture.user("ada", uid: 100001, gid: 2000001, gecos: "Ada Lovelace"),
                Fixture.user("gone", uid: 100002, active: false)],
        groups: [Fixture.group("hpc-research-eu", gid: 2000001, members: ["ada", "gone", "nine"])])

    static let checks = [
        ("^nine:x:99999:99999:Nine Nines:/home/nine:/bin/bash$", "getent passwd nine"),
        ("^nine:x:99999:", "getent passwd 99999"),
        ("^hundred:x:100000:100000:", "getent passwd hundred"),
        ("^hundred:x:100000:", "getent passwd 100000"),
        ("^ada:x:100001:2000001:Ada Lovelace:/home/ada:/bin/bash$", "getent passwd ada"),
        ("^ada:x:100001:", "getent passwd 100001"),
        ("^gone:x:100002:100002:.*:/usr/sbin/nologin$", "getent passwd gone"),
        ("^hpc-research-eu:x:2000001:ada,nine$", "getent group hpc-research-eu"),
        ("^hpc-research-eu:x:2000001:", "getent group 2000001"),
        ("^nine:x:99999:$", "getent group nine"),
        ("^hundred:x:100000:$", "getent group 100000"),
        ("^nine:\\*:", "getent shadow nine"),
        ("^gone:!\\*::::::1:$", "getent shadow gone"),     // locked: `!` password, expired on day 1
        ("^uid=100002\\(gone\\) gid=100002\\(gone\\) groups=100002\\(gone\\)$", "id gone"),
        ("^uid=99999\\(nine\\) gid=99999\\(nine\\) groups=99999\\(nine\\),2000001\\(hpc-research-eu\\)$", "id nine"),
        ("^uid=100000\\(hundred\\) gid=100000\\(hundred\\) groups=100000\\(hundred\\)$", "id hundred"),
        ("^uid=100001\\(ada\\) gid=2000001\\(hpc-research-eu\\) groups=2000001\\(hpc-research-eu\\)$", "id ada"),
        ("!", "getent passwd no-such-user"),
        ("!", "getent passwd 100099"),
    ]

    /// A root whose local files are the host's own (so the floor sees the real local accounts).
    static func prepare(format: NSSFormat) async throws -> String {
        let root = try Fixture.makeRoot()
        try makeNodeRoot(root)
        let path = try Fixture.writeSnapshot(SnapshotDocument.make(body: body).encoded(), root: root)
        let report = try await Fixture.sync(root, snapshot: path, format: format)
        #expect(report.plan.users.count == 4, "host accounts collide with the fixture: \(report.plan.skipped)")
        // The modules read the node files through their links into the current generation.
        for link in NodeLayout.links(format, paths: NodePaths(root: root)) {
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link.path)) == link.target, "\(link.path)")
        }
        return root
    }

    static func hostEtcFingerprint() -> [String: Data] {
        var result: [String: Data] = [:]
        for name in ["nsswitch.conf", "passwd", "group", "shadow"] {
            result[name] = FileManager.default.contents(atPath: "/etc/" + name) ?? Data()
        }
        let cacheFiles = ((try? FileManager.default.contentsOfDirectory(atPath: "/etc")) ?? [])
            .filter { $0.contains(".cache") }.sorted()
        result["cache-files"] = Data(cacheFiles.joined(separator: ",").utf8)
        return result
    }

    static func run(format: NSSFormat) async throws {
        guard geteuid() == 0 else {
            Issue.record("NSS end-to-end test needs root (mount namespaces); run the tests as root")
            return
        }
        let root = try await prepare(format: format)
        defer { Fixture.remove(root) }
        let checksFile = root + "/in/checks.tsv"
        try checks.map { "\($0.0)\t\($0.1)\n" }.joined().write(toFile: checksFile, atomically: false, encoding: .utf8)
        let before = hostEtcFingerprint()

        let script = Self.script
        let result = try await TestSupport.run("/bin/bash", [script, format.rawValue, root, checksFile])
        let (status, output) = (result.status, result.output)

        switch status {
        case 0: break
        case 3: Issue.record("NSS module missing: \(output) — apt-get install libnss-extrausers libnss-cache")
        default: Issue.record("nss_check.sh \(format.rawValue) exited \(status):\n\(output)")
        }
        let passed = output.split(separator: "\n").filter { $0.hasPrefix("ok   \(format.rawValue)") }.count
        #expect(passed == checks.count, "\(passed) of \(checks.count) checks passed:\n\(output)")
        #expect(output.contains("ALL CHECKS PASSED"))
        #expect(hostEtcFingerprint() == before, "host /etc changed")
    }

    @Test func extrausers() async throws { try await Self.run(format: .extrausers) }

    @Test func libnssCache() async throws { try await Self.run(format: .cache) }
}

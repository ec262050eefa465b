// `sync --watch` on the node side, in-process: the state `status` shows, the backoff, the change
// feed's URL, and the flags the watcher refuses.
import Foundation
import NodeSync
import SunkSnapshot
import Testing
import TestSupport
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

@Suite("sync --watch: state, backoff, refusals")
struct WatchStateTests {
    @Test("status shows the watcher's connection, serial, lag and counts; a dead watcher is 'not running'")
    func statusLine() async throws {
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        _ = try await Fixture.syncBody(Fixture.body(users: Fixture.users(2)), root: root)
        let paths = NodePaths(root: root)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var watch = WatchState(pid: getpid(), startedAt: start)
        watch.connection = .waiting
        watch.since = 7
        watch.lastChangeSerial = 7
        watch.lastChangeAt = start.addingTimeInterval(60)
        watch.lastLagSeconds = 1.3
        watch.deltasApplied = 3
        watch.fullSyncs = 1
        try watch.save(paths)

        let state = try #require(try SyncState.load(paths))
        #expect(state.watch == watch, "status reads watch.json")
        #expect(state.generationRecord.watch == nil, "a generation's state.json never holds the watcher's state")
        let text = StatusReport(state: state, now: start.addingTimeInterval(3 * 3600), maxAge: 900).text
        #expect(text.contains("watch: waiting at serial 7 (pid \(getpid()), up 3 h); last change serial 7 at 2027-01-15T08:01:00Z, 1.3 s after publication; 3 deltas, 1 full syncs, 0 failures"), "\(text)")

        var dead = watch
        dead.pid = 4_194_305   // above PID_MAX_LIMIT: never a live process
        dead.lastError = "cannot fetch snapshot from http://127.0.0.1:1/…: connection refused"
        try dead.save(paths)
        let line = try #require(try SyncState.load(paths)?.watch).line(now: start)
        #expect(line.hasPrefix("watch: not running (last seen "), "\(line)")
    }

    @Test("backoff: attempt n waits between half and all of min(max, initial × 2ⁿ⁻¹)")
    func backoff() {
        let backoff = NodeWatcher.Backoff(initial: 1, maximum: 60)
        for attempt in 1...12 {
            let ceiling = min(60, pow(2, Double(attempt - 1)))
            for _ in 0..<50 {
                let delay = backoff.delay(attempt: attempt)
                #expect(delay >= ceiling / 2 && delay <= ceiling, "attempt \(attempt): \(delay)")
            }
        }
        let spread = Set((0..<50).map { _ in backoff.delay(attempt: 8) })
        #expect(spread.count > 40, "jitter: nodes that lost the receiver together do not come back together")
    }

    @Test("the change feed is beside the snapshot URL; any other URL has none")
    func changesURL() throws {
        let source = try HTTPSnapshotSource(url: "https://scim.example.org:8443/scim/research/export/v1/snapshot?x=1",
                                            tokenFile: "/dev/null")
        #expect(source.changesURL == "https://scim.example.org:8443/scim/research/export/v1/changes")
        let other = try HTTPSnapshotSource(url: "https://scim.example.org/snapshots/latest", tokenFile: "/dev/null")
        #expect(other.changesURL == nil)
    }

    @Test("refused before anything runs: a file source, --dry-run, --accept-changes, --accept-rollback, --watch-wait out of range or alone",
          arguments: [
              (["--snapshot", "/nonexistent.json"], "--watch follows a receiver"),
              (["--from", "http://127.0.0.1:9/scim/default/export/v1/snapshot", "--token-file", "/dev/null", "--dry-run"],
               "--watch and --dry-run do not go together"),
              (["--from", "http://127.0.0.1:9/scim/default/export/v1/snapshot", "--token-file", "/dev/null", "--accept-changes"],
               "are for one run"),
              (["--from", "http://127.0.0.1:9/scim/default/export/v1/snapshot", "--token-file", "/dev/null", "--accept-rollback"],
               "are for one run"),
              (["--from", "http://127.0.0.1:9/scim/default/export/v1/snapshot", "--token-file", "/dev/null", "--watch-wait", "301"],
               "--watch-wait must be 1…300 seconds"),
          ])
    func refusals(flags: [String], message: String) async throws {
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        let result = try await run(try Binaries.sunkBridge(), ["sync", "--watch", "--root", root] + flags,
                                   error: .separate)
        #expect(result.status != 0)
        #expect((result.output + result.error).contains(message), "\(result.output)\(result.error)")
        #expect(!FileManager.default.fileExists(atPath: root + "/var/lib/sunk-bridge/watch.json"), "nothing started")
    }

    @Test("--watch-wait needs --watch")
    func waitAlone() async throws {
        let result = try await run(try Binaries.sunkBridge(), ["sync", "--snapshot", "/nonexistent.json", "--watch-wait", "30"],
                                   error: .separate)
        #expect(result.status != 0 && result.error.contains("--watch-wait needs --watch"), "\(result.error)")
    }
}

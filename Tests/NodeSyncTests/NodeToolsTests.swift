// Atomic writer, token file, URL checks, getent lookup and status verdicts.
import Foundation
import NodeSync
import SunkSnapshot
import Testing

@Suite("Node tools")
struct NodeToolsTests {
    @Test func atomicWriterReplacesAndSetsMode() throws {
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        let path = root + "/file"
        try AtomicFileWriter.write(Array("one\n".utf8), to: path, attributes: FileAttributes(mode: 0o640))
        #expect(Fixture.read(path) == "one\n")
        #expect(Fixture.mode(path) == 0o640)
        #expect(try AtomicFileWriter.isCurrent(Array("one\n".utf8), at: path, attributes: FileAttributes(mode: 0o640)))
        #expect(try !AtomicFileWriter.isCurrent(Array("one\n".utf8), at: path, attributes: FileAttributes(mode: 0o644)))
        #expect(try !AtomicFileWriter.isCurrent(Array("two\n".utf8), at: path, attributes: FileAttributes(mode: 0o640)))
        var st1 = stat()
        stat(path, &st1)
        try AtomicFileWriter.write(Array("two\n".utf8), to: path, attributes: FileAttributes(mode: 0o644))
        var st2 = stat()
        stat(path, &st2)
        #expect(st1.st_ino != st2.st_ino, "replaced by rename, not rewritten in place")
        #expect(Fixture.read(path) == "two\n")
        #expect(Fixture.mode(path) == 0o644)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).allSatisfy { !$0.contains("sunk-tmp") })
        // A missing directory fails cleanly.
        #expect(throws: SyncError.self) {
            try AtomicFileWriter.write([1], to: root + "/missing/file", attributes: FileAttributes(mode: 0o644))
        }
    }

    @Test func tokenFileRules() throws {
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        let path = root + "/token"
        try "s3cret-token\n".write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o600)
        #expect(try TokenFile.read(path) == "s3cret-token")
        chmod(path, 0o640)
        #expect(throws: SyncError.self) { try TokenFile.read(path) }
        chmod(path, 0o604)
        do {
            _ = try TokenFile.read(path)
            Issue.record("world-readable token accepted")
        } catch {
            #expect(error.description.contains("readable by group or others"))
        }
        #expect(throws: SyncError.self) { try TokenFile.read(root) }           // a directory
        #expect(throws: SyncError.self) { try TokenFile.read(root + "/none") }
        try "two words\n".write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o600)
        #expect(throws: SyncError.self) { try TokenFile.read(path) }
    }

    @Test func urlChecks() throws {
        for good in ["https://bridge.example.com/scim/default/export/v1/snapshot", "http://127.0.0.1:8080/x",
                     "http://localhost/x", "http://[::1]:80/x"] {
            #expect(throws: Never.self, "\(good)") { try HTTPSnapshotSource.check(url: good) }
        }
        // The node token and the snapshot never cross a network in the clear.
        for bad in ["http://bridge.example.com/x", "http://10.0.0.5/x", "http://127.0.0.1.evil.com/x",
                    "http://127.0.0.1@bridge.example.com/x"] {
            #expect(throws: SyncError.self, "\(bad)") { try HTTPSnapshotSource.check(url: bad) }
        }
        let refused = try? HTTPSnapshotSource(url: "http://bridge.example.com/scim/default/export/v1/snapshot", tokenFile: "/dev/null")
        #expect(refused == nil)
        #expect(try HTTPSnapshotSource(url: "https://b.example.com/scim/research/export/v1/snapshot", tokenFile: "t").expectedOrg == "research")
        #expect(throws: SyncError.self) { try HTTPSnapshotSource.check(url: "ftp://bridge/x") }
        #expect(throws: SyncError.self) { try HTTPSnapshotSource.check(url: "not a url") }
        #expect(!HTTPSnapshotSource.isLoopback("127.0.0.1.evil.com"))
    }

    @Test func getentLookup() {
        let lookup = NSSLookup(lines: ["ada:x:100001:100000:Ada:/home/ada:/bin/bash",
                                       "bob:x:99999:99999:Bob:/home/bob:/bin/bash"])
        #expect(lookup.find("ada") == "ada:x:100001:100000:Ada:/home/ada:/bin/bash")
        #expect(lookup.find("99999")?.hasPrefix("bob:") == true)
        #expect(lookup.find("100000") == nil, "gid is not a uid")
        #expect(lookup.query(["ada", "nobody"]).exitCode == 2)
        #expect(lookup.query(["ada", "nobody"]).output.count == 1)
        #expect(lookup.query([]).output.count == 2)
        #expect(lookup.query([]).exitCode == 0)
    }

    @Test func getentReadsTheConfiguredFormat() async throws {
        let root = try Fixture.makeRoot()
        defer { Fixture.remove(root) }
        _ = try await Fixture.syncBody(Fixture.body(users: [Fixture.user("ada", uid: 100000)]), root: root, format: .cache)
        let lookup = try NSSLookup(database: .group, format: .cache, paths: NodePaths(root: root))
        #expect(lookup.find("ada") == "ada:x:100000:")
        let other = try NSSLookup(database: .passwd, format: .extrausers, paths: NodePaths(root: root))
        #expect(other.lines.isEmpty)
    }

    @Test func statusVerdicts() {
        let now = Date(timeIntervalSince1970: 2_000_000_000)
        #expect(StatusReport(state: nil, now: now, maxAge: 3600).verdict == .neverSynced)
        #expect(StatusReport(state: nil, now: now, maxAge: 3600).verdict.exitCode == 2)
        var state = SyncState()
        state.lastAttempt = now
        state.lastResult = .failed
        state.lastError = "boom"
        #expect(StatusReport(state: state, now: now, maxAge: 3600).verdict == .neverSynced)
        state.lastSuccess = now.addingTimeInterval(-100)
        state.lastResult = .applied
        state.lastError = nil
        state.serial = 7
        let fresh = StatusReport(state: state, now: now, maxAge: 3600)
        #expect(fresh.verdict == .fresh)
        #expect(fresh.verdict.exitCode == 0)
        #expect(fresh.text.contains("serial 7"))
        #expect(fresh.json.contains("\"verdict\" : \"fresh\""))
        #expect(StatusReport(state: state, now: now.addingTimeInterval(4000), maxAge: 3600).verdict == .stale)
        state.lastResult = .failed
        #expect(StatusReport(state: state, now: now, maxAge: 3600).verdict == .failing)
        // Remote text cannot forge status lines.
        state.lastError = "bad\nstatus: fresh"
        #expect(!StatusReport(state: state, now: now, maxAge: 3600).text.contains("\nstatus: fresh"))
    }
}

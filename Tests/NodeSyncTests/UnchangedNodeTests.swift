// A node that is already current (receiver 304, nothing of its own changed) finishes without
// re-verifying or re-rendering anything; any change to what its files are made from, or to the
// files themselves, sends it through the full run, which restores them.
import Foundation
import NodeSync
import SunkModel
import SunkSnapshot
import Testing
import TestSupport

/// A receiver in a box: the signed snapshot under an ETag, 304 when the node sends it back.
struct ConditionalSource: SnapshotSource {
    let data: Data
    let etag: String
    var label: String { "test receiver" }
    var requiresSignature: Bool { true }

    func fetch(ifNoneMatch: String?) async throws(SyncError) -> SnapshotFetch {
        ifNoneMatch == etag ? .notModified : .document(data, etag: etag)
    }
}

@Suite("Unchanged node: the 304 short-cut")
struct UnchangedNodeTests {
    static let signer = SignedSnapshotTests.Signer()

    static func prepared() async throws -> (root: String, source: ConditionalSource, options: SyncOptions) {
        let root = try Fixture.makeRoot()
        let body = Fixture.body(users: Fixture.users(50), groups: [Fixture.group("team", gid: 2_000_100, members: ["u001", "u002"])],
                                serial: 9)
        let source = ConditionalSource(data: try signer.sign(body), etag: "\"sunk-test-9\"")
        let options = SyncOptions(root: root, trust: try SignedSnapshotTests.trust(signer.trustLine))
        let first = try await NodeSyncer(source: source, options: options).run()
        #expect(first.result == .applied && first.plan.users.count == 50)
        return (root, source, options)
    }

    @Test("304 on a current node: nothing planned, rendered or written; the counts and the recorded fingerprint stand")
    func shortCut() async throws {
        let (root, source, options) = try await Self.prepared()
        defer { Fixture.remove(root) }
        let generation = GenerationStore.currentName(NodePaths(root: root))
        let report = try await NodeSyncer(source: source, options: options).run()
        #expect(report.result == .notModified)
        #expect(report.plan.users.isEmpty, "the short-cut plans nothing")
        #expect(report.counts?.users == 50 && report.writtenFiles.isEmpty)
        #expect(report.summary.contains("sync not modified: org default serial 9: 50 users"), "\(report.summary)")
        #expect(GenerationStore.currentName(NodePaths(root: root)) == generation)
        let state = try #require(try SyncState.load(NodePaths(root: root)))
        #expect(state.lastResult == .notModified && state.fingerprint?.hasPrefix("sha256:") == true)
    }

    /// Each change that must send a 304 through the full run, and what it does to the node.
    enum Change: String, CaseIterable, Sendable {
        case localPasswd = "a local account added to /etc/passwd"
        case nssFileEdited = "the passwd file readers see edited by hand"
        case linkReplaced = "a fixed link replaced by a regular file"
        case trustKeys = "the trust keys changed (the kept snapshot is verified again)"
        case homePrefixes = "the node's home prefixes changed"
        case sudoersRemoved = "the sudoers drop-in removed"
    }

    @Test("what sends a 304 through the full run", arguments: Change.allCases)
    func fullRun(change: Change) async throws {
        var (root, source, options) = try await Self.prepared()
        defer { Fixture.remove(root) }
        let paths = NodePaths(root: root)
        let passwd = options.format.passwdPath(paths)
        let rendered = Fixture.read(passwd)
        switch change {
        case .localPasswd:
            let local = Fixture.read(paths.localPasswd) + "svc:x:999:999::/var/lib/svc:/usr/sbin/nologin\n"
            try local.write(toFile: paths.localPasswd, atomically: true, encoding: .utf8)
        case .nssFileEdited:
            let handle = try #require(FileHandle(forWritingAtPath: passwd))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("intruder:x:0:0::/root:/bin/sh\n".utf8))
            try handle.close()
        case .linkReplaced:
            try FileManager.default.removeItem(atPath: passwd)
            try "intruder:x:0:0::/root:/bin/sh\n".write(toFile: passwd, atomically: true, encoding: .utf8)
        case .trustKeys:
            let other = SignedSnapshotTests.Signer()
            options.trust = try SignedSnapshotTests.trust(other.trustLine)
        case .homePrefixes:
            options.homePrefixes = ["/home", "/shared/home"]
        case .sudoersRemoved:
            try FileManager.default.createDirectory(atPath: root + "/etc/sudoers.d", withIntermediateDirectories: true)
            options.sudo = SudoRule(groups: ["team"], noPassword: true)
            _ = try await NodeSyncer(source: source, options: options).run()   // writes the drop-in
            try FileManager.default.removeItem(atPath: paths.path(Sudoers.path))
        }
        let result: Result<SyncReport, SyncError>
        do throws(SyncError) { result = .success(try await NodeSyncer(source: source, options: options).run()) } catch {
            result = .failure(error)
        }
        switch change {
        case .trustKeys:
            guard case .failure(.snapshot(let refusal)) = result else {
                Issue.record("a kept snapshot signed by a key no longer trusted must be refused: \(result)")
                return
            }
            #expect("\(refusal)".contains("not trusted") || "\(refusal)".contains("untrusted") || "\(refusal)".contains("trust"),
                    "\(refusal)")
            #expect(try SyncState.load(paths)?.fingerprint == nil, "a failed run records no fingerprint")
        default:
            let report = try result.get()
            #expect(!report.plan.users.isEmpty, "\(change.rawValue): the full run planned the snapshot again")
            #expect(Fixture.read(passwd) == rendered, "\(change.rawValue): the passwd readers see is the snapshot's")
            if change == .sudoersRemoved {
                #expect(FileManager.default.fileExists(atPath: paths.path(Sudoers.path)), "the drop-in is back")
            }
            let again = try await NodeSyncer(source: source, options: options).run()
            #expect(again.plan.users.isEmpty, "\(change.rawValue): and the next 304 takes the short-cut again")
        }
    }
}

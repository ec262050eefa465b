import Foundation
import SCIMProtocol
import Testing
import TestSupport
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Off-boarding that closes the loop, pushed: an Okta-style PATCH active=false on the receiver, and
/// on a node running `sync --watch --terminate-sessions` the user's open SSH session (real sshd)
/// ends and a new login is refused — no timer, no manual sync.
@Suite("sync --watch: an open SSH session ends on deactivation", .serialized, .tags(.e2e, .root, .sshd),
       .timeLimit(.minutes(5)))
struct WatchSessionTests {
    static let coreWeave = "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser"
    static let uid: UInt32 = 1_000_043

    @Test("PATCH active=false → the watcher commits the lock, ends the open session; a new login is refused")
    func openSessionEndsOnPush() async throws {
        try requireRoot("unshare --mount, bind mounts, sshd, signals to another uid")
        let login = try await LoginScratch("watch-session", user: "ada", uid: Self.uid, key: "ada")
        defer { login.remove() }
        let (scratch, key, root) = (login.directory, login.publicKey, login.root)

        try await withServer(transport: .live) { server in
            let ada = try await server.post("/Users", json("""
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "\(Self.coreWeave)"],
                 "userName": "ada.lovelace@example.com", "active": true,
                 "\(Self.coreWeave)": {"sunkPosixUsername": "ada", "sunkPosixUserId": \(Self.uid),
                   "sunkPosixGroupId": \(Self.uid), "sunkLoginShell": "/bin/bash", "sunkSshKeys": ["\(key)"]}}
                """))
            try #require(ada.status == 201, "\(ada.text)")
            let adaID = try #require(ada["id"]?.stringValue)
            try writeFile(scratch + "/node-token", server.nodeToken + "\n", mode: 0o600)
            try writeFile(scratch + "/deactivate.json",
                          #"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"active": false}}]}"#,
                          mode: 0o644)
            let trust = try server.writeTrustKey(to: scratch + "/trust.pub")
            let watcher = try await ChildProcess.start(try Binaries.sunkBridge(), [
                "sync", "--watch", "--watch-wait", "30", "--from", server.scimURL + "/export/v1/snapshot",
                "--token-file", scratch + "/node-token", "--trust-key", trust, "--root", root, "--terminate-sessions",
            ], output: .file(scratch + "/watch.log"))
            defer { watcher.stop(grace: 2) }
            var waiting = false
            for _ in 0..<300 where !waiting {
                waiting = WatchStateFile.connection(root) == "waiting"
                if !waiting { try await Task.sleep(for: .milliseconds(100)) }
            }
            try #require(waiting, "the watcher did not reach the feed: \(watcher.output)")

            // The PATCH runs inside the script, between the open session and the check that it ended.
            let patch = "/usr/bin/curl -sf -o /dev/null -X PATCH -H @\(scratch)/auth-header "
                + "-H Content-Type:application/scim+json --data-binary @\(scratch)/deactivate.json "
                + "\(server.scimURL)/Users/\(adaID)"
            try writeFile(scratch + "/auth-header", "Authorization: Bearer \(server.token)\n", mode: 0o600)
            let cases = """
                ok   ada \(login.privateKey)  login while active
                bg   ada \(login.privateKey)  a session left open (sleep 600)
                run  ok  \(patch)
                bgend 15 the open session ends once the watcher commits the lock
                fail ada \(login.privateKey)  a new login is refused
                """
            try cases.write(toFile: scratch + "/cases", atomically: false, encoding: .utf8)
            var environment = ProcessInfo.processInfo.environment
            environment["USE_PAM"] = "0"
            environment["HOMES_DIR"] = login.homes
            let (status, out, err) = try await AKBinaries.run("/bin/bash", [repositoryRoot + "/Tests/e2e/sshd/run.sh", try AKBinaries.helper(),
                                                                             root, scratch + "/cases"], environment: environment)
            #expect(status == 0 && out.contains("ALL 5 CHECKS PASSED"),
                    "exit \(status)\n\(out)\n\(err)\n--- watcher\n\(watcher.output)")
            #expect(watcher.output.contains("locked ada (uid \(Self.uid))"), "\(watcher.output)")
        }
    }
}

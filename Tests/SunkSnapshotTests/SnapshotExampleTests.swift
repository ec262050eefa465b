// The worked example of docs/snapshot.md: its digest is pinned here, so the document and the code
// cannot drift apart.
import Foundation
import SunkModel
import SunkSnapshot
import Testing
import TestSupport

@Suite("Snapshot worked example (docs/snapshot.md)")
struct SnapshotExampleTests {
    static let ada = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQ2c3h2dGJ0a3FqcmR3b3JzZ3B1bXJvbm5ldmFubmdp ada@laptop"

    static var body: SnapshotBody {
        SnapshotBody(
            org: "default", serial: 12, publishedAt: SnapshotTime.parse("2026-11-29T10:00:00Z")!,
            policy: .default,
            users: [SnapshotUser(id: "2819c223-7f76-453a-919d-413861904646", userName: "ada.lovelace@example.com",
                                 name: "ada", uid: 100001, gid: 100000, gecos: "Ada Lovelace", home: "/home/ada",
                                 shell: "/bin/bash", keys: [ada], active: true)],
            groups: [SnapshotGroup(id: "e9e30dba-f08f-4109-8486-d5c6a331660a", displayName: "HPC Research (EU)",
                                   name: "hpc-research-eu", gid: 2000001, members: ["ada"])],
            skipped: [SkippedEntry(id: "a1b2c3", userName: "x.y@example.com",
                                   reason: "sunkPosixUsername: derived name \"x.y\" is not a valid POSIX name")])
    }

    /// The digest printed in docs/snapshot.md.
    static let documentedDigest = "sha256:c25db755cf53950d3f4dad3d98df250f9ce3620786e05cbc30abb13cee077fff"

    @Test func exampleDigestMatchesDocs() throws {
        let doc = SnapshotDocument.make(body: Self.body)
        try doc.validated()
        if let out = ProcessInfo.processInfo.environment["SUNK_SNAPSHOT_EXAMPLE_OUT"] {
            try doc.encoded().write(to: URL(fileURLWithPath: out))
        }
        #expect(doc.digest == Self.documentedDigest)
    }
}

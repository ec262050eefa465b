// Writes the seed corpora of fuzz-snapshot and fuzz-keys-cache with the project's own writers
// (`SnapshotDocument.make(body:).encoded()`, `KeysCacheWriter.render`), using the OpenSSH key lines
// of corpus/fuzz-ssh-key (made by make-ssh-key-seeds.sh). Output is deterministic for a given
// fuzz-ssh-key corpus. `run.sh seeds` builds and runs it.
//
// Not a fuzz target, but built like one (the whole package is built with -sanitize=fuzzer, which
// links libFuzzer's `main`), so it does its work in `LLVMFuzzerInitialize` and exits before any
// fuzzing starts. FUZZ_DIR names the Fuzz/ directory.
import AuthorizedKeys
import Foundation
import SunkModel
import SunkSnapshot

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>,
                       _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    do {
        try Seeds.main()
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("fuzz-seeds: \(error)\n".utf8))
        exit(1)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt { 0 }

enum Seeds {
    static func main() throws {
        let fuzzDir = ProcessInfo.processInfo.environment["FUZZ_DIR"] ?? "."
        let corpus = URL(fileURLWithPath: fuzzDir).appendingPathComponent("corpus")
        let keys = try acceptedKeys(corpus.appendingPathComponent("fuzz-ssh-key"))
        try write(snapshots(keys: keys), to: corpus.appendingPathComponent("fuzz-snapshot"))
        try write(keysCaches(keys: keys), to: corpus.appendingPathComponent("fuzz-keys-cache"))
    }

    /// Canonical lines of the seed keys the parser accepts, by file name; one per key blob (a
    /// user's key list keeps a blob once, so a document with two would not validate).
    static func acceptedKeys(_ dir: URL) throws -> [(file: String, line: String)] {
        var blobs = Set<[UInt8]>()
        return try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted().compactMap { file in
            let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
            guard let key = try? SSHPublicKey(parsing: text), blobs.insert(key.blob).inserted else { return nil }
            return (file, key.rendered)
        }
    }

    static func write(_ files: [(String, [UInt8])], to dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for old in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
            try FileManager.default.removeItem(at: dir.appendingPathComponent(old))
        }
        for (name, bytes) in files {
            try Data(bytes).write(to: dir.appendingPathComponent(name))
        }
        print("\(dir.path): \(files.count) seeds")
    }

    // MARK: - Snapshots

    static func snapshots(keys: [(file: String, line: String)]) throws -> [(String, [UInt8])] {
        let published = SnapshotTime.parse("2026-11-29T10:00:00Z")!
        var out: [(String, [UInt8])] = []
        func add(_ name: String, _ body: SnapshotBody) throws {
            let document = SnapshotDocument.make(body: body)
            try document.validated()
            out.append((name, Array(document.encoded())))
        }

        // docs/snapshot.md's worked example, byte for byte (its digest is pinned there).
        let ada = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQ2c3h2dGJ0a3FqcmR3b3JzZ3B1bXJvbm5ldmFubmdp ada@laptop"
        let example = SnapshotBody(
            org: "default", serial: 12, publishedAt: published, policy: .default,
            users: [SnapshotUser(id: "2819c223-7f76-453a-919d-413861904646", userName: "ada.lovelace@example.com",
                                 name: "ada", uid: 100001, gid: 100000, gecos: "Ada Lovelace", home: "/home/ada",
                                 shell: "/bin/bash", keys: [ada], active: true)],
            groups: [SnapshotGroup(id: "e9e30dba-f08f-4109-8486-d5c6a331660a", displayName: "HPC Research (EU)",
                                   name: "hpc-research-eu", gid: 2000001, members: ["ada"])],
            skipped: [SkippedEntry(id: "a1b2c3", userName: "x.y@example.com",
                                   reason: "sunkPosixUsername: derived name \"x.y\" is not a valid POSIX name")])
        let exampleDigest = SnapshotDocument.make(body: example).digest
        precondition(exampleDigest == "sha256:c25db755cf53950d3f4dad3d98df250f9ce3620786e05cbc30abb13cee077fff",
                     "the worked example of docs/snapshot.md changed")
        try add("docs-example.json", example)

        // Nobody yet.
        try add("empty.json", SnapshotBody(org: "empty", serial: 1, publishedAt: published, policy: .default,
                                           users: [], groups: [], skipped: []))

        // A small cluster: every accepted key type, several keys per user, a user without keys, a
        // deactivated user, names that sort around `-` and `_`, two home prefixes, a non-ASCII gecos,
        // groups with sorted members, an empty group, skipped entries.
        let policy = Policy(
            homePrefixes: ["/home", "/scratch/home"],
            shells: ["/bin/bash", "/bin/zsh", "/usr/bin/fish", "/usr/sbin/nologin"],
            defaultShell: "/bin/bash",
            groupNameMappings: ["hpc-research-eu": "hpc-eu"],
            deactivation: .remove,
            keyOptions: "restrict,pty,no-agent-forwarding",
            maxKeys: 8, nameMaxLength: 32, minimumRSABits: 2048)
        var users: [SnapshotUser] = []
        let names = ["ada", "b-x", "b_x", "carol", "dave", "_svc", "erin", "frank", "grace"]
        for (i, name) in names.enumerated() {
            let userKeys: [String]
            switch i {
            case 0: userKeys = keys.map(\.line).prefix(8).map { $0 }
            case 3: userKeys = []
            default: userKeys = [keys[i % keys.count].line]
            }
            users.append(SnapshotUser(
                id: "id-\(i)-\(name)", userName: "\(name)@example.com", name: name, uid: 1_000_001 + UInt32(i),
                gid: 1_000_001 + UInt32(i), gecos: i == 4 ? "Dave Müller-Łukasz" : "User \(name)",
                home: (i % 3 == 2 ? "/scratch/home/" : "/home/") + name,
                shell: i == 5 ? "/usr/sbin/nologin" : i == 6 ? "/bin/zsh" : "/bin/bash",
                keys: userKeys, active: i != 7))
        }
        let groups = [
            SnapshotGroup(id: "g1", displayName: "HPC Research (EU)", name: "hpc-eu", gid: 2_000_001,
                          members: ["ada", "b-x", "carol"]),
            SnapshotGroup(id: "g2", displayName: "Everyone", name: "everyone", gid: 2_000_002,
                          members: names.sorted(by: SnapshotOrder.less)),
            SnapshotGroup(id: "g3", displayName: "Nobody yet", name: "empty", gid: 2_000_003, members: []),
        ]
        let skipped = [
            SkippedEntry(id: "s1", userName: "root@example.com", reason: "sunkPosixUsername: \"root\" is reserved"),
            SkippedEntry(id: "s2", userName: "zoë@example.com", reason: "sunkSshKeys: key 1: options such as command= are not allowed"),
        ]
        try add("cluster.json", SnapshotBody(org: "acme", serial: 4_242, publishedAt: published, policy: policy,
                                             users: users, groups: groups, skipped: skipped))

        // Every key type on its own user, default policy (lock), so each key parser path is one
        // small mutation away.
        for (i, key) in keys.enumerated() {
            let name = "u\(i)"
            try add("key-\(key.file).json", SnapshotBody(
                org: "keys", serial: Int64(i + 1), publishedAt: published, policy: .default,
                users: [SnapshotUser(id: "k\(i)", userName: "\(name)@example.com", name: name, uid: 100_000 + UInt32(i),
                                     gid: 100_000, gecos: "", home: "/home/\(name)", shell: "/bin/sh",
                                     keys: [key.line], active: false)],
                groups: [], skipped: []))
        }
        return out
    }

    // MARK: - Keys caches

    static func keysCaches(keys: [(file: String, line: String)]) throws -> [(String, [UInt8])] {
        var out: [(String, [UInt8])] = []
        func add(_ name: String, _ entries: [KeysCacheEntry], options: String?) throws {
            out.append((name, try KeysCacheWriter.render(entries: entries, options: options)))
        }
        try add("empty.cache", [], options: nil)
        try add("one-user.cache", [KeysCacheEntry(name: "ada", uid: 1_000_001, keys: [keys[0].line])],
                options: "restrict")
        try add("no-keys.cache", [KeysCacheEntry(name: "bob", uid: 1_000_002, keys: [])], options: nil)
        // Every key type, names that sort around `-` and `_` and share prefixes, a user without keys.
        var entries = [
            KeysCacheEntry(name: "ada", uid: 1_000_001, keys: keys.map(\.line)),
            KeysCacheEntry(name: "b-x", uid: 1_000_002, keys: [keys[1 % keys.count].line]),
            KeysCacheEntry(name: "b_x", uid: 1_000_003, keys: [keys[2 % keys.count].line]),
            KeysCacheEntry(name: "b", uid: 1_000_004, keys: []),
            KeysCacheEntry(name: "bx", uid: 1_000_005, keys: [keys[3 % keys.count].line, keys[4 % keys.count].line]),
            KeysCacheEntry(name: "_svc", uid: 4_294_967_295, keys: [keys[5 % keys.count].line]),
            KeysCacheEntry(name: "zz", uid: 60_000, keys: []),
        ]
        try add("key-types.cache", entries, options: "restrict,pty,no-agent-forwarding")
        // Enough short lines for a binary search of several steps.
        entries = (0..<48).map { i in
            KeysCacheEntry(name: "u\(String(i * 37 % 1000))", uid: 100_000 + UInt32(i),
                           keys: i % 5 == 0 ? [] : [keys.first(where: { $0.file == "ed25519" })!.line])
        }
        try add("many-users.cache", entries, options: "no-pty")
        return out
    }
}

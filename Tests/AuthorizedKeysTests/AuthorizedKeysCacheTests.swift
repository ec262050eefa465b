import Testing
import TestSupport
import Foundation
import AuthorizedKeys
import SunkModel

@Suite("AuthorizedKeys: keys cache format, writer and reader")
struct AuthorizedKeysCacheTests {

    @Test("10k users round-trip: every user found with its canonical keys, absent names not found")
    func roundTrip10k() throws {
        try AKSupport.requireRoot()
        let root = try AKSupport.nodeRoot()
        defer { AKSupport.remove(root) }
        let path = KeysCache.path(root: root)

        var entries: [KeysCacheEntry] = []
        for i in 0..<10_000 {
            // Names of different lengths that prefix each other (u1, u10, u100…) and mix `_`/`-`.
            let name = (i % 3 == 0 ? "u" : (i % 3 == 1 ? "user_" : "a-")) + String(i)
            let keys = (0..<(i % 4)).map { k in
                // Non-canonical spacing on input; the cache must hold the canonical form.
                "  " + AKSupport.ed25519(i * 10 + k, comment: k == 1 ? "laptop  key" : nil).replacingOccurrences(of: " ", with: "\t ") + " "
            }
            entries.append(KeysCacheEntry(name: name, uid: UInt32(1_000_000 + i), keys: keys))
        }
        entries.shuffle()
        try KeysCacheWriter.write(entries: entries, options: nil, to: path)

        #expect(AKSupport.mode(path) == 0o644)
        #expect(AKSupport.owner(path).uid == 0 && AKSupport.owner(path).gid == 0)

        let reader = try KeysCacheReader(path: path)
        #expect(reader.entryCount == 10_000)
        #expect(reader.options == nil)
        for e in entries {
            let expected = try e.keys.map { try SSHPublicKey(parsing: $0).rendered }
            let got = reader.keys(forName: e.name, uid: e.uid)
            #expect(got == expected, "\(e.name)")
        }
        for absent in ["u", "user", "user_", "a", "a-", "u99999", "zzz", "_", "a-10000", "u1x"] {
            #expect(reader.lookup(name: absent) == nil, "\(absent) must not be found")
        }
        // Canonical form: single spaces, comment words joined by one space.
        let one = try #require(reader.keys(forName: "user_1", uid: 1_000_001))
        #expect(one == [AKSupport.ed25519(10)])
        let two = try #require(reader.keys(forName: "a-2", uid: 1_000_002))
        #expect(two == [AKSupport.ed25519(20), AKSupport.ed25519(21, comment: "laptop key")])
        #expect(!(try String(contentsOfFile: path, encoding: .utf8)).contains("\t "))
    }

    @Test("exact match on name and uid; no prefix, case or uid confusion")
    func exactMatch() throws {
        try AKSupport.requireRoot()
        let root = try AKSupport.nodeRoot()
        defer { AKSupport.remove(root) }
        let path = KeysCache.path(root: root)
        try KeysCacheWriter.write(entries: [
            KeysCacheEntry(name: "ada", uid: 1_000_001, keys: [AKSupport.ed25519(1)]),
            KeysCacheEntry(name: "ada2", uid: 1_000_002, keys: [AKSupport.ed25519(2)]),
            KeysCacheEntry(name: "ad", uid: 1_000_003, keys: [AKSupport.ed25519(3)]),
            KeysCacheEntry(name: "nokeys", uid: 1_000_004, keys: []),
        ], options: nil, to: path)
        let r = try KeysCacheReader(path: path)
        #expect(r.keys(forName: "ada", uid: 1_000_001) == [AKSupport.ed25519(1)])
        #expect(r.keys(forName: "ada", uid: 1_000_002) == nil, "same name, other uid: nothing")
        #expect(r.keys(forName: "ada", uid: 10_001) == nil, "a local account's uid gets nothing")
        #expect(r.keys(forName: "ad", uid: 1_000_003) == [AKSupport.ed25519(3)])
        #expect(r.keys(forName: "ada2", uid: 1_000_002) == [AKSupport.ed25519(2)])
        #expect(r.keys(forName: "Ada", uid: 1_000_001) == nil)
        #expect(r.keys(forName: "ada ", uid: 1_000_001) == nil)
        #expect(r.keys(forName: "ada:1000001", uid: 1_000_001) == nil)
        #expect(r.keys(forName: "nokeys", uid: 1_000_004) == [])
        #expect(r.keys(forName: "nobody", uid: 65534) == nil)
        #expect(r.lookup(name: "ada")?.uid == 1_000_001)
    }

    @Test("options are stored in the header and must be allowed authorized_keys options")
    func options() throws {
        try AKSupport.requireRoot()
        let root = try AKSupport.nodeRoot()
        defer { AKSupport.remove(root) }
        let path = KeysCache.path(root: root)
        try KeysCacheWriter.write(entries: [KeysCacheEntry(name: "ada", uid: 1_000_001, keys: [AKSupport.ed25519(1)])],
                                  options: "restrict,pty", to: path)
        let r = try KeysCacheReader(path: path)
        #expect(r.options == "restrict,pty")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("sunk-keys-cache\t1\t1\t"))
        #expect(text.split(separator: "\n").first?.hasSuffix("\trestrict,pty") == true)

        for bad in ["command=\"/bin/sh\"", "restrict, pty", "", "from=\"10.0.0.0/8\"", "restrict\nssh-ed25519"] {
            #expect(throws: KeysCacheError.self, "options \(bad.debugDescription) must be refused") {
                try KeysCacheWriter.write(entries: [], options: bad, to: path)
            }
        }
        // The refused writes left the good cache in place.
        #expect(try KeysCacheReader(path: path).options == "restrict,pty")
    }

    @Test("the writer re-validates every entry and replaces nothing on error")
    func writerValidation() throws {
        try AKSupport.requireRoot()
        let root = try AKSupport.nodeRoot()
        defer { AKSupport.remove(root) }
        let path = KeysCache.path(root: root)
        let good = KeysCacheEntry(name: "ada", uid: 1_000_001, keys: [AKSupport.ed25519(1)])
        try KeysCacheWriter.write(entries: [good], options: nil, to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        let bad: [(KeysCacheEntry, String)] = [
            (KeysCacheEntry(name: "../etc", uid: 1_000_002, keys: []), "path name"),
            (KeysCacheEntry(name: "Root", uid: 1_000_002, keys: []), "upper case"),
            (KeysCacheEntry(name: "-x", uid: 1_000_002, keys: []), "leading dash"),
            (KeysCacheEntry(name: "a:b", uid: 1_000_002, keys: []), "colon"),
            (KeysCacheEntry(name: "a\nb", uid: 1_000_002, keys: []), "newline"),
            (KeysCacheEntry(name: "", uid: 1_000_002, keys: []), "empty"),
            (KeysCacheEntry(name: String(repeating: "a", count: 256), uid: 1_000_002, keys: []), "too long"),
            (KeysCacheEntry(name: "zero", uid: 0, keys: [AKSupport.ed25519(3)]), "uid 0"),
            (KeysCacheEntry(name: "bob", uid: 1_000_002, keys: ["command=\"x\" " + AKSupport.ed25519(2)]), "key options"),
            (KeysCacheEntry(name: "bob", uid: 1_000_002, keys: ["ssh-ed25519 AAAAnotakey"]), "bad blob"),
            (KeysCacheEntry(name: "bob", uid: 1_000_002, keys: [AKSupport.ed25519(2) + "\nssh-ed25519 AAAA"]), "two lines"),
            (KeysCacheEntry(name: "ada", uid: 1_000_009, keys: []), "duplicate name"),
        ]
        for (entry, why) in bad {
            #expect(throws: KeysCacheError.self, "\(why) must be refused") {
                try KeysCacheWriter.write(entries: [good, entry], options: nil, to: path)
            }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "the cache is unchanged")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: root + "/var/lib/sunk-bridge")
        #expect(leftovers == ["keys.cache"], "no temp files left behind")
    }

    @Test("unsafe caches are refused: writable mode, non-root owner, unsafe directory, unsafe link target, /tmp")
    func unsafeRefused() throws {
        try AKSupport.requireRoot()
        let root = try AKSupport.nodeRoot()
        defer { AKSupport.remove(root) }
        let path = KeysCache.path(root: root)
        let entry = KeysCacheEntry(name: "ada", uid: 1_000_001, keys: [AKSupport.ed25519(1)])
        try KeysCacheWriter.write(entries: [entry], options: nil, to: path)
        _ = try KeysCacheReader(path: path)

        func expectUnsafe(_ why: String, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                _ = try KeysCacheReader(path: path)
                Issue.record("\(why): cache accepted", sourceLocation: sourceLocation)
            } catch {
                guard case .unsafe = error else {
                    Issue.record("\(why): expected .unsafe, got \(error)", sourceLocation: sourceLocation)
                    return
                }
                #expect(error.description.contains(fragment), "\(why): \(error.description)", sourceLocation: sourceLocation)
            }
        }

        chmod(path, 0o666)
        expectUnsafe("mode 0666", "writable by group or others (mode 0666)")
        chmod(path, 0o664)
        expectUnsafe("mode 0664", "writable by group or others")
        chmod(path, 0o644)

        chown(path, 65534, 0)
        expectUnsafe("owner nobody", "owned by uid 65534, not root")
        chown(path, 0, 0)
        _ = try KeysCacheReader(path: path)

        let dir = root + "/var/lib/sunk-bridge"
        chmod(dir, 0o775)
        expectUnsafe("group-writable directory", "directory ")
        chmod(dir, 0o755)
        chown(dir, 65534, 65534)
        expectUnsafe("directory owned by nobody", "owned by uid 65534")
        chown(dir, 0, 0)
        chmod(root + "/var", 0o777)
        expectUnsafe("world-writable ancestor", "/var is writable")
        chmod(root + "/var", 0o755)
        _ = try KeysCacheReader(path: path)

        // A symlink in place of the file (as on a node: keys.cache -> current/keys.cache ->
        // generations/<G>/keys.cache) is followed, and the resolved file and its directories are what
        // is checked.
        try FileManager.default.createDirectory(atPath: dir + "/generations/1", withIntermediateDirectories: true)
        chmod(dir + "/generations", 0o755)
        chmod(dir + "/generations/1", 0o755)
        try FileManager.default.moveItem(atPath: path, toPath: dir + "/generations/1/keys.cache")
        symlink("generations/1", dir + "/current")
        symlink("current/keys.cache", path)
        #expect(try KeysCacheReader(path: path).lookup(name: "ada")?.uid == 1_000_001, "a link into a safe directory")
        chmod(dir + "/generations/1", 0o775)
        expectUnsafe("link into a group-writable directory", "directory \(dir)/generations/1 is writable by group or others")
        chmod(dir + "/generations/1", 0o755)
        chown(dir + "/generations/1/keys.cache", 65534, 0)
        expectUnsafe("link to a file owned by nobody", "(resolved to \(dir)/generations/1/keys.cache) is owned by uid 65534")
        chown(dir + "/generations/1/keys.cache", 0, 0)
        chmod(dir + "/generations/1/keys.cache", 0o664)
        expectUnsafe("link to a group-writable file", "is writable by group or others (mode 0664)")
        chmod(dir + "/generations/1/keys.cache", 0o644)
        chown(dir + "/generations", 65534, 65534)
        expectUnsafe("link into a directory owned by nobody", "directory \(dir)/generations is owned by uid 65534")
        chown(dir + "/generations", 0, 0)
        _ = try KeysCacheReader(path: path)
        // A link to a safe file, sitting in a directory others may write: whoever writes there can
        // re-point the link, so it is refused too.
        let elsewhere = try AKSupport.safeDirectory()
        defer { AKSupport.remove(elsewhere) }
        chmod(elsewhere, 0o777)
        symlink(path, elsewhere + "/keys.cache")
        do {
            _ = try KeysCacheReader(path: elsewhere + "/keys.cache")
            Issue.record("a link in a world-writable directory was accepted")
        } catch {
            #expect(error.description.contains("directory \(elsewhere) is writable by group or others"), "\(error)")
        }
        // A dangling link is a missing cache.
        unlink(dir + "/current")
        symlink("generations/9", dir + "/current")
        #expect(throws: KeysCacheError.missing(path: path)) { _ = try KeysCacheReader(path: path) }
        unlink(dir + "/current")
        unlink(path)
        try FileManager.default.moveItem(atPath: dir + "/generations/1/keys.cache", toPath: path)
        try FileManager.default.removeItem(atPath: dir + "/generations")
        _ = try KeysCacheReader(path: path)

        // A FIFO in place of the file (opened non-blocking, then refused).
        let fifoRoot = try AKSupport.nodeRoot()
        defer { AKSupport.remove(fifoRoot) }
        mkfifo(KeysCache.path(root: fifoRoot), 0o644)
        #expect(throws: KeysCacheError.unsafe(path: KeysCache.path(root: fifoRoot), reason: "is not a regular file")) {
            _ = try KeysCacheReader(path: KeysCache.path(root: fifoRoot))
        }

        // Below /tmp (mode 1777): refused like sshd refuses a helper there.
        let tmp = try FileManager.default.url(for: .itemReplacementDirectory, in: .userDomainMask,
                                              appropriateFor: URL(fileURLWithPath: "/tmp"), create: true).path
        defer { AKSupport.remove(tmp) }
        chmod(tmp, 0o755)
        try FileManager.default.createDirectory(atPath: tmp + "/var/lib/sunk-bridge", withIntermediateDirectories: true)
        try KeysCacheWriter.write(entries: [entry], options: nil, to: KeysCache.path(root: tmp))
        if AKSupport.mode("/tmp") & 0o002 != 0 {
            #expect(throws: KeysCacheError.self, "a cache below world-writable /tmp must be refused") {
                _ = try KeysCacheReader(path: KeysCache.path(root: tmp))
            }
        }
    }

    @Test("missing, empty, truncated or foreign files are errors, not empty caches")
    func malformed() throws {
        try AKSupport.requireRoot()
        let root = try AKSupport.nodeRoot()
        defer { AKSupport.remove(root) }
        let path = KeysCache.path(root: root)
        #expect(throws: KeysCacheError.missing(path: path)) { _ = try KeysCacheReader(path: path) }
        #expect(throws: KeysCacheError.missing(path: root + "/nope/keys.cache")) {
            _ = try KeysCacheReader(path: root + "/nope/keys.cache")
        }

        try KeysCacheWriter.write(entries: [
            KeysCacheEntry(name: "ada", uid: 1_000_001, keys: [AKSupport.ed25519(1)]),
            KeysCacheEntry(name: "bob", uid: 1_000_002, keys: [AKSupport.ed25519(2)]),
        ], options: nil, to: path)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))

        func expectMalformed(_ bytes: Data, _ why: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            try bytes.write(to: URL(fileURLWithPath: path))
            chmod(path, 0o644)
            do {
                _ = try KeysCacheReader(path: path)
                Issue.record("\(why): accepted", sourceLocation: sourceLocation)
            } catch {
                if case .malformed = error {} else {
                    Issue.record("\(why): expected .malformed, got \(error)", sourceLocation: sourceLocation)
                }
            }
        }
        try expectMalformed(good.dropLast(10), "truncated")
        try expectMalformed(good + Data("carol:1000003:\n".utf8), "appended")
        try expectMalformed(Data("root:x:0:0:root:/root:/bin/bash\n".utf8), "a passwd file")
        try expectMalformed(Data(String(decoding: good, as: UTF8.self).replacingOccurrences(of: "cache\t1\t", with: "cache\t2\t").utf8), "version 2")
        try expectMalformed(Data(), "empty")
    }
}

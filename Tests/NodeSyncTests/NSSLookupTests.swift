import Foundation
import NodeSync
import Testing

/// `sunk-bridge getent`'s lookup over a data file: getent's rules (a numeric key is an id, any
/// other a name), on the mapped file.
@Suite struct NSSLookupTests {
    let passwd = [
        "alice:x:100001:100001:Alice:/home/alice:/bin/bash",
        "bob:x:100002:100002:Bob:/home/bob:/bin/bash",
        "alicia:x:100003:100003::/home/alicia:/bin/bash",
        "carol:x:2000:2000::/home/carol:/bin/sh",
    ]

    @Test("a name matches the whole first field, not a prefix of it; ids match the third field")
    func namesAndIDs() {
        let lookup = NSSLookup(lines: passwd)
        #expect(lookup.find("alice") == passwd[0])
        #expect(lookup.find("alicia") == passwd[2])
        #expect(lookup.find("ali") == nil)
        #expect(lookup.find("100002") == passwd[1])
        #expect(lookup.find("02000") == passwd[3], "getent reads a numeric key as a number")
        #expect(lookup.find("100001:x") == nil)
        #expect(lookup.find("99999999999") == nil, "beyond a uid is not found")
        #expect(lookup.find("") == nil)
    }

    @Test("query: every line with no key; exit 2 when one key is missing")
    func query() {
        let lookup = NSSLookup(lines: passwd)
        #expect(lookup.query([]).output == passwd)
        #expect(lookup.query(["bob", "carol"]) == ([passwd[1], passwd[3]], 0))
        #expect(lookup.query(["bob", "nobody-here"]) == ([passwd[1]], 2))
    }

    @Test("the mapped file: the last line without a newline, an empty file, a missing file")
    func mappedFile() throws {
        let root = NSTemporaryDirectory() + "nss-lookup-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        let paths = NodePaths(root: root)
        let file = NSSFormat.extrausers.passwdPath(paths)
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        #expect(try NSSLookup(database: .passwd, format: .extrausers, paths: paths).query(["alice"]).exitCode == 2)
        try Data().write(to: URL(fileURLWithPath: file))
        #expect(try NSSLookup(database: .passwd, format: .extrausers, paths: paths).lines.isEmpty)
        try Data(passwd.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: file))
        let lookup = try NSSLookup(database: .passwd, format: .extrausers, paths: paths)
        #expect(lookup.find("carol") == passwd[3])
        #expect(lookup.find("2000") == passwd[3])
        #expect(lookup.lines == passwd)
    }
}

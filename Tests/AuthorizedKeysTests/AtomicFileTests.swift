// The one atomic writer's two ways of publishing a finished temp file: `publish` replaces, and
// `publishNew` refuses a name that exists (the backup's no-`--force` path relies on it).
import AuthorizedKeys
import Foundation
import Testing
import TestSupport

@Suite("AtomicFile: publish and publishNew")
struct AtomicFileTests {
    @Test("publishNew links a new name and drops the temp name; an existing name is refused with EEXIST and kept")
    func publishNew() throws {
        let directory = try temporaryDirectory("atomic-file")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/copy.sqlite"

        let first = AtomicFile.tempName(for: path)
        try AtomicFile.create(first, with: Array("first\n".utf8), attributes: FileAttributes(mode: 0o600, uid: geteuid(), gid: getegid()))
        try AtomicFile.syncFile(first)
        try AtomicFile.publishNew(first, as: path)
        #expect(FileManager.default.contents(atPath: path) == Data("first\n".utf8))
        #expect(!FileManager.default.fileExists(atPath: first))

        let second = AtomicFile.tempName(for: path)
        try AtomicFile.create(second, with: Array("second\n".utf8), attributes: FileAttributes(mode: 0o600, uid: geteuid(), gid: getegid()))
        #expect(throws: SystemCallError(operation: "link to \(path)", path: second, errno: EEXIST)) {
            try AtomicFile.publishNew(second, as: path)
        }
        #expect(FileManager.default.contents(atPath: path) == Data("first\n".utf8))

        try AtomicFile.publish(second, as: path)
        #expect(FileManager.default.contents(atPath: path) == Data("second\n".utf8))
        let left = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(left == ["copy.sqlite"], "no temp name is left: \(left)")
    }
}

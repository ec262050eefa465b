// Reproducers from the libFuzzer targets in Fuzz/, fed to the same entry points. The files are under
// Tests/Fixtures/fuzz/.
import AuthorizedKeys
import Foundation
import SunkModel
import SunkSnapshot
import Testing
import TestSupport

@Suite("Fuzz regressions (Fuzz/)")
struct FuzzRegressionTests {
    static func fixture(_ name: String, file: String = #filePath) throws -> Data {
        let url = URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/fuzz/\(name)")
        return try Data(contentsOf: url)
    }

    /// decode + validated(), as a node runs them: the description of the refusal ("" if accepted).
    static func refusal(_ data: Data) throws -> String {
        let document = try SnapshotDocument.decode(data) // the digest is right: decoding must succeed
        do {
            try document.validated()
            return ""
        } catch {
            return String(describing: error)
        }
    }

    /// A reader over `bytes`.
    static func reader(_ bytes: [UInt8]) throws -> KeysCacheReader {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: bytes)
        return try KeysCacheReader(copying: UnsafeRawBufferPointer(buffer))
    }

    @Test("fuzz-snapshot: a home with a .. component hidden by a combining mark on the next slash is refused")
    func homeDotDotBehindCombiningSlash() throws {
        // ada's home is "/home/../\u{301}ada": the kernel resolves it outside /home.
        let error = try Self.refusal(Self.fixture("snapshot-home-dotdot-after-combining-slash.json"))
        #expect(error.contains("user \"ada\""), "\(error)")
        #expect(error.contains(SCIMAttribute.homeDirectory), "\(error)")
    }

    @Test("fuzz-snapshot: a home inside another user's home behind a combining mark on the slash is refused")
    func homeNestedBehindCombiningSlash() throws {
        // bob's home is "/home/ada/\u{301}x", inside ada's "/home/ada"; the validator's nesting check
        // compared Characters and did not see it.
        let error = try Self.refusal(Self.fixture("snapshot-home-nested-behind-combining-slash.json"))
        #expect(error.contains("user \"bob\""), "\(error)")
        #expect(error.contains(SCIMAttribute.homeDirectory), "\(error)")
    }

    @Test("KeysCacheReader(copying:) reads what KeysCacheWriter writes, like init(path:)")
    func inMemoryReader() throws {
        let key = AKSupport.ed25519(7, comment: "ada@laptop")
        let bytes = try KeysCacheWriter.render(entries: [
            KeysCacheEntry(name: "b_x", uid: 1_000_003, keys: []),
            KeysCacheEntry(name: "ada", uid: 1_000_001, keys: [key]),
            KeysCacheEntry(name: "b-x", uid: 1_000_002, keys: [key]),
        ], options: "restrict")
        let reader = try Self.reader(bytes)
        #expect(reader.entryCount == 3)
        #expect(reader.options == "restrict")
        #expect(reader.keys(forName: "ada", uid: 1_000_001) == [key])
        #expect(reader.keys(forName: "b-x", uid: 1_000_002) == [key])
        #expect(reader.keys(forName: "b_x", uid: 1_000_003) == [])
        #expect(reader.lookup(name: "b") == nil)
        // Header checks are the file reader's: a truncated copy is refused the same way.
        #expect(throws: KeysCacheError.self) { _ = try Self.reader(Array(bytes.dropLast())) }
        #expect(throws: KeysCacheError.self) { _ = try Self.reader([]) }
    }
}

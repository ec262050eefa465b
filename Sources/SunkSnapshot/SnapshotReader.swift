// A fast reader for snapshot documents, beside JSONDecoder.
import Foundation
import SunkModel

/// Reads a snapshot document (`{"body":…,"digest":…,"format":…}`) straight from its bytes into
/// `SnapshotBody`, without `Decoder`'s containers: on a node at 100k users it takes a fraction of
/// `JSONDecoder`'s time.
///
/// It is a fast path, not a second definition: it answers nil for anything it does not read
/// exactly (a duplicate key, a number that is not a plain integer, a field of the wrong type,
/// invalid JSON…), and `SnapshotDocument.decode` then decodes with `JSONDecoder`, whose answer
/// (and error message) stands. What it does read is held by the same digest check as ever: the
/// body is re-encoded canonically and must hash to `digest`, so a value read wrongly cannot pass.
/// The policy (small, once per document) is decoded by `JSONDecoder` from its own bytes.
package struct SnapshotReader {
    struct Wire {
        var format: String
        var digest: String
        var body: SnapshotBody
    }

    private let bytes: UnsafeRawBufferPointer
    private var index = 0

    /// The document read, or nil when the fast path does not apply.
    static func read(_ data: Data) -> Wire? {
        data.withUnsafeBytes { buffer in
            var reader = SnapshotReader(bytes: buffer)
            guard let wire = try? reader.wire() else { return nil }
            reader.skipSpace()
            return reader.index == buffer.count ? wire : nil
        }
    }

    /// A JSON array of strings (the store's stored key lists), or nil when the fast path does not
    /// read it exactly; the caller then decodes with `JSONDecoder`.
    package static func stringArray(_ text: String) -> [String]? {
        var text = text
        return text.withUTF8 { utf8 in
            var reader = SnapshotReader(bytes: UnsafeRawBufferPointer(utf8))
            guard let list = try? reader.array({ try $0.string() }) else { return nil }
            reader.skipSpace()
            return reader.index == utf8.count ? list : nil
        }
    }

    private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private struct Stop: Error {}

    // MARK: - The document's shapes

    private mutating func wire() throws -> Wire {
        var format: String?, digest: String?, body: SnapshotBody?
        try object { reader, key in
            switch key {
            case "format": format = try reader.once(format) { try $0.string() }
            case "digest": digest = try reader.once(digest) { try $0.string() }
            case "body": body = try reader.once(body) { try $0.body() }
            default: try reader.skipValue()
            }
        }
        guard let format, let digest, let body else { throw Stop() }
        return Wire(format: format, digest: digest, body: body)
    }

    private mutating func body() throws -> SnapshotBody {
        var org: String?, serial: Int64?, publishedAt: Date?, policy: Policy?
        var users: [SnapshotUser]?, groups: [SnapshotGroup]?, skipped: [SkippedEntry]?
        try object { reader, key in
            switch key {
            case "org": org = try reader.once(org) { try $0.string() }
            case "serial": serial = try reader.once(serial) { try $0.integer(Int64.self) }
            case "publishedAt":
                publishedAt = try reader.once(publishedAt) { reader in
                    guard let date = SnapshotTime.parse(try reader.string()) else { throw Stop() }
                    return date
                }
            case "policy": policy = try reader.once(policy) { try $0.policy() }
            case "users": users = try reader.once(users) { try $0.array { try $0.user() } }
            case "groups": groups = try reader.once(groups) { try $0.array { try $0.group() } }
            case "skipped": skipped = try reader.once(skipped) { try $0.array { try $0.skippedEntry() } }
            default: try reader.skipValue()
            }
        }
        guard let org, let serial, let publishedAt, let policy, let users, let groups, let skipped else { throw Stop() }
        return SnapshotBody(org: org, serial: serial, publishedAt: publishedAt, policy: policy, users: users,
                            groups: groups, skipped: skipped)
    }

    private mutating func user() throws -> SnapshotUser {
        var id: String?, userName: String?, name: String?, uid: UInt32?, gid: UInt32?
        var gecos: String?, home: String?, shell: String?, keys: [String]?, active: Bool?
        try object { reader, key in
            switch key {
            case "id": id = try reader.once(id) { try $0.string() }
            case "userName": userName = try reader.once(userName) { try $0.string() }
            case "name": name = try reader.once(name) { try $0.string() }
            case "uid": uid = try reader.once(uid) { try $0.integer(UInt32.self) }
            case "gid": gid = try reader.once(gid) { try $0.integer(UInt32.self) }
            case "gecos": gecos = try reader.once(gecos) { try $0.string() }
            case "home": home = try reader.once(home) { try $0.string() }
            case "shell": shell = try reader.once(shell) { try $0.string() }
            case "keys": keys = try reader.once(keys) { try $0.array { try $0.string() } }
            case "active": active = try reader.once(active) { try $0.bool() }
            default: try reader.skipValue()
            }
        }
        guard let id, let userName, let name, let uid, let gid, let gecos, let home, let shell, let keys,
              let active else { throw Stop() }
        return SnapshotUser(id: id, userName: userName, name: name, uid: uid, gid: gid, gecos: gecos, home: home,
                            shell: shell, keys: keys, active: active)
    }

    private mutating func group() throws -> SnapshotGroup {
        var id: String?, displayName: String?, name: String?, gid: UInt32?, members: [String]?
        try object { reader, key in
            switch key {
            case "id": id = try reader.once(id) { try $0.string() }
            case "displayName": displayName = try reader.once(displayName) { try $0.string() }
            case "name": name = try reader.once(name) { try $0.string() }
            case "gid": gid = try reader.once(gid) { try $0.integer(UInt32.self) }
            case "members": members = try reader.once(members) { try $0.array { try $0.string() } }
            default: try reader.skipValue()
            }
        }
        guard let id, let displayName, let name, let gid, let members else { throw Stop() }
        return SnapshotGroup(id: id, displayName: displayName, name: name, gid: gid, members: members)
    }

    private mutating func skippedEntry() throws -> SkippedEntry {
        var id: String?, userName: String?, reason: String?
        try object { reader, key in
            switch key {
            case "id": id = try reader.once(id) { try $0.string() }
            case "userName": userName = try reader.once(userName) { try $0.string() }
            case "reason": reason = try reader.once(reason) { try $0.string() }
            default: try reader.skipValue()
            }
        }
        guard let id, let userName, let reason else { throw Stop() }
        return SkippedEntry(id: id, userName: userName, reason: reason)
    }

    /// The policy's own bytes, decoded by `JSONDecoder` (its rules live in `PolicyPatch`).
    private mutating func policy() throws -> Policy {
        skipSpace()
        let start = index
        try skipValue()
        let slice = Data(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        return try JSONDecoder().decode(Policy.self, from: slice)
    }

    // MARK: - JSON

    /// A field seen twice is not read here (JSONDecoder decides what a duplicate means).
    private mutating func once<T>(_ current: T?, _ read: (inout SnapshotReader) throws -> T) throws -> T {
        guard current == nil else { throw Stop() }
        return try read(&self)
    }

    private mutating func object(_ field: (inout SnapshotReader, String) throws -> Void) throws {
        try expect(UInt8(ascii: "{"))
        skipSpace()
        if peek() == UInt8(ascii: "}") { index += 1; return }
        while true {
            let key = try string()
            try expect(UInt8(ascii: ":"))
            try field(&self, key)
            skipSpace()
            let next = try take()
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { throw Stop() }
            skipSpace()
        }
    }

    private mutating func array<T>(_ element: (inout SnapshotReader) throws -> T) throws -> [T] {
        try expect(UInt8(ascii: "["))
        skipSpace()
        var result: [T] = []
        if peek() == UInt8(ascii: "]") { index += 1; return result }
        while true {
            result.append(try element(&self))
            skipSpace()
            let next = try take()
            if next == UInt8(ascii: "]") { return result }
            guard next == UInt8(ascii: ",") else { throw Stop() }
        }
    }

    /// A string: the run between quotes copied as is when it has no escape, else unescaped. Control
    /// characters and invalid UTF-8 stop the fast path.
    private mutating func string() throws -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let run = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                index += 1
                guard let text = String(validating: run, as: UTF8.self) else { throw Stop() }
                return text
            }
            if byte == UInt8(ascii: "\\") {
                index = start
                return try escapedString()
            }
            guard byte >= 0x20 else { throw Stop() }
            index += 1
        }
        throw Stop()
    }

    private mutating func escapedString() throws -> String {
        var out: [UInt8] = []
        while true {
            let byte = try take()
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: out, as: UTF8.self) else { throw Stop() }
                return text
            case UInt8(ascii: "\\"):
                let escape = try take()
                if let simple = JSONStringEscape.byte(for: escape) {
                    out.append(simple)
                    continue
                }
                guard escape == UInt8(ascii: "u") else { throw Stop() }
                let code = try hex4()
                var low: UInt32?
                if JSONStringEscape.isHighSurrogate(code) {
                    guard try take() == UInt8(ascii: "\\"), try take() == UInt8(ascii: "u") else { throw Stop() }
                    low = try hex4()
                }
                guard let scalar = JSONStringEscape.scalar(code, low: low) else { throw Stop() }
                UTF8.encode(scalar) { out.append($0) }
            default:
                guard byte >= 0x20 else { throw Stop() }
                out.append(byte)
            }
        }
    }

    private mutating func hex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = JSONStringEscape.hexDigit(try take()) else { throw Stop() }
            value = value << 4 | digit
        }
        return value
    }

    /// A plain JSON integer (`-?[0-9]+`, no leading zero) within `T`; anything else (a fraction, an
    /// exponent) is left to JSONDecoder.
    private mutating func integer<T: FixedWidthInteger>(_: T.Type) throws -> T {
        skipSpace()
        let negative = peek() == UInt8(ascii: "-")
        if negative { index += 1 }
        let start = index
        var magnitude: UInt64 = 0
        while let byte = peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw Stop() }
            magnitude = sum
            index += 1
        }
        let digits = index - start
        guard digits > 0, !(digits > 1 && bytes[start] == UInt8(ascii: "0")) else { throw Stop() }
        if let next = peek(), next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            throw Stop()
        }
        if negative {
            guard magnitude <= UInt64(Int64.max), let value = T(exactly: -Int64(magnitude)) else { throw Stop() }
            return value
        }
        guard let value = T(exactly: magnitude) else { throw Stop() }
        return value
    }

    private mutating func bool() throws -> Bool {
        skipSpace()
        if literal("true") { return true }
        if literal("false") { return false }
        throw Stop()
    }

    /// Skips any JSON value (for fields this reader does not know, and to find the policy's bytes).
    private mutating func skipValue() throws {
        skipSpace()
        switch peek() {
        case UInt8(ascii: "{"): try object { reader, _ in try reader.skipValue() }
        case UInt8(ascii: "["): _ = try array { try $0.skipValue() }
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool()
        case UInt8(ascii: "n"): guard literal("null") else { throw Stop() }
        default: _ = try integer(Int64.self)
        }
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        let matches = word.withUTF8Buffer { $0.elementsEqual(bytes[index..<(index + count)]) }
        if matches { index += count }
        return matches
    }

    private mutating func expect(_ byte: UInt8) throws {
        skipSpace()
        guard try take() == byte else { throw Stop() }
    }

    private mutating func take() throws -> UInt8 {
        guard index < bytes.count else { throw Stop() }
        defer { index += 1 }
        return bytes[index]
    }

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipSpace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }
}

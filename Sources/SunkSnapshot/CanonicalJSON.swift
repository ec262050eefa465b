// The canonical encoding of a snapshot body, written by hand for speed.
import Foundation
import SunkModel

/// Writes a `SnapshotBody` byte for byte as `JSONEncoder` with `[.sortedKeys,
/// .withoutEscapingSlashes]` does (the digest rule of docs/snapshot.md), without going through
/// `Encoder`'s containers: at 100k users that is the difference between seconds and a tenth of
/// one, on the receiver for every publication and on every node for every verification.
///
/// Keys are written in their sorted order by hand, so a field added to a snapshot type must be
/// added here in its place; `CanonicalJSONTests` holds this writer to `JSONEncoder`'s output for
/// every field and every character class, so a mismatch fails there, not on the nodes. The policy
/// (small, once per document) still goes through `JSONEncoder`.
enum CanonicalJSON {
    static func encode(_ body: SnapshotBody) -> [UInt8] {
        var writer = Writer()
        writer.bytes.reserveCapacity(4096 + body.users.count * 420 + body.groups.count * 160)
        writer.body(body)
        return writer.bytes
    }

    /// The whole document: `{"body":…,"digest":"…","format":"…"}` around the canonical body.
    static func document(canonicalBody: [UInt8], digest: String, format: String) -> [UInt8] {
        var writer = Writer()
        writer.bytes.reserveCapacity(canonicalBody.count + 128)
        writer.raw("{\"body\":")
        writer.bytes += canonicalBody
        writer.raw(",\"digest\":")
        writer.string(digest)
        writer.raw(",\"format\":")
        writer.string(format)
        writer.raw("}")
        return writer.bytes
    }

    struct Writer {
        var bytes: [UInt8] = []

        mutating func body(_ body: SnapshotBody) {
            raw("{\"groups\":")
            array(body.groups) { $0.group($1) }
            raw(",\"org\":")
            string(body.org)
            raw(",\"policy\":")
            policy(body.policy)
            raw(",\"publishedAt\":")
            string(SnapshotTime.format(body.publishedAt))
            raw(",\"serial\":")
            integer(body.serial)
            raw(",\"skipped\":")
            array(body.skipped) { $0.skipped($1) }
            raw(",\"users\":")
            array(body.users) { $0.user($1) }
            raw("}")
        }

        mutating func user(_ user: SnapshotUser) {
            raw(user.active ? "{\"active\":true,\"gecos\":" : "{\"active\":false,\"gecos\":")
            string(user.gecos)
            raw(",\"gid\":")
            integer(user.gid)
            raw(",\"home\":")
            string(user.home)
            raw(",\"id\":")
            string(user.id)
            raw(",\"keys\":")
            array(user.keys) { $0.string($1) }
            raw(",\"name\":")
            string(user.name)
            raw(",\"shell\":")
            string(user.shell)
            raw(",\"uid\":")
            integer(user.uid)
            raw(",\"userName\":")
            string(user.userName)
            raw("}")
        }

        mutating func group(_ group: SnapshotGroup) {
            raw("{\"displayName\":")
            string(group.displayName)
            raw(",\"gid\":")
            integer(group.gid)
            raw(",\"id\":")
            string(group.id)
            raw(",\"members\":")
            array(group.members) { $0.string($1) }
            raw(",\"name\":")
            string(group.name)
            raw("}")
        }

        mutating func skipped(_ entry: SkippedEntry) {
            raw("{\"id\":")
            string(entry.id)
            raw(",\"reason\":")
            string(entry.reason)
            raw(",\"userName\":")
            string(entry.userName)
            raw("}")
        }

        mutating func policy(_ policy: Policy) {
            do {
                bytes += try SnapshotDocument.canonicalEncoder().encode(policy)
            } catch {
                // Every field of a policy is a string, integer, bool, array or string-keyed object.
                preconditionFailure("policy failed to encode: \(error)")
            }
        }

        mutating func array<Element>(_ elements: [Element], _ write: (inout Writer, Element) -> Void) {
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                write(&self, element)
            }
            bytes.append(UInt8(ascii: "]"))
        }

        mutating func raw(_ text: StaticString) {
            text.withUTF8Buffer { bytes.append(contentsOf: $0) }
        }

        mutating func integer(_ value: some BinaryInteger) {
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            var magnitude = UInt64(value.magnitude)
            let start = bytes.count
            repeat {
                bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
                magnitude /= 10
            } while magnitude != 0
            bytes[start...].reverse()
        }

        /// A JSON string as JSONEncoder writes it: `"` and `\` escaped, the short escapes for
        /// backspace, form feed, newline, return and tab, other control characters as `\u00XX`,
        /// everything else (`/` and all non-ASCII) as its UTF-8.
        mutating func string(_ text: String) {
            bytes.append(UInt8(ascii: "\""))
            var text = text
            text.withUTF8 { utf8 in
                var clean = 0  // start of the run not yet copied
                for index in 0..<utf8.count {
                    let byte = utf8[index]
                    guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[clean..<index]))
                    escape(byte)
                    clean = index + 1
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[clean...]))
            }
            bytes.append(UInt8(ascii: "\""))
        }

        private mutating func escape(_ byte: UInt8) {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            default:
                raw("\\u00")
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0x0F)])
            }
        }
    }
}

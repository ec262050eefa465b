// The node's trust anchors: `/etc/sunk-bridge/trust.pub`, one `sunk-bridge-ed25519 BASE64 ORG` a line.
import Crypto
import Foundation

/// One public key a node trusts to sign the snapshots of one org.
public struct TrustedKey: Equatable, Sendable {
    /// The key type word of a trust line and of a signed snapshot's `key` header.
    public static let algorithm = "sunk-bridge-ed25519"

    /// Raw 32-byte Ed25519 public key.
    public var publicKey: [UInt8]
    /// The org whose snapshots this key may sign.
    public var org: String

    public init(publicKey: [UInt8], org: String) {
        self.publicKey = publicKey
        self.org = org
    }

    /// The trust line: `sunk-bridge-ed25519 BASE64 ORG`.
    public var line: String { "\(Self.algorithm) \(Data(publicKey).base64EncodedString()) \(org)" }

    /// `SHA256:` + unpadded base64 of the key's SHA-256, as OpenSSH prints fingerprints.
    public static func fingerprint(_ publicKey: [UInt8]) -> String {
        let digest = Data(SHA256.hash(data: Data(publicKey))).base64EncodedString()
        return "SHA256:" + digest.replacingOccurrences(of: "=", with: "")
    }

    /// Org names as the receiver allows them: 1–63 of `a-z`, `0-9`, `-`, not starting with `-`.
    public static func isValidOrg(_ s: String) -> Bool {
        (1...63).contains(s.utf8.count) && !s.hasPrefix("-")
            && s.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }
    }
}

/// The keys a node trusts (`sync --trust-key FILE`, `node.trustKeyFile`). A file may hold several
/// lines: the current and the previous key during a rotation, or keys of several orgs.
public struct TrustedKeys: Equatable, Sendable {
    public var keys: [TrustedKey]

    public init(keys: [TrustedKey]) { self.keys = keys }

    /// Parses trust lines; blank lines and lines starting with `#` are ignored. Any other line that
    /// is not `sunk-bridge-ed25519 BASE64 ORG` is an error naming the line.
    public init(parsing text: String, source: String) throws(SnapshotError) {
        var keys: [TrustedKey] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard words.count == 3, words[0] == TrustedKey.algorithm,
                  let key = Data(base64Encoded: String(words[1])), key.count == 32,
                  TrustedKey.isValidOrg(String(words[2])) else {
                throw .badTrustKey("\(source) line \(index + 1) is not \"\(TrustedKey.algorithm) BASE64 ORG\" (print one with `sunk-bridge org trust-key ORG` on the receiver)")
            }
            keys.append(TrustedKey(publicKey: [UInt8](key), org: String(words[2])))
        }
        guard !keys.isEmpty else {
            throw .badTrustKey("\(source) holds no key (print one with `sunk-bridge org trust-key ORG` on the receiver)")
        }
        self.keys = keys
    }

    /// Reads a trust file. It must be a regular file not writable by group or others: whoever can
    /// write it decides what the node accepts.
    public static func load(path: String) throws(SnapshotError) -> TrustedKeys {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw .badTrustKey("trust key file \(path) cannot be read (create it from `sunk-bridge org trust-key ORG` on the receiver)")
        }
        if let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o022 != 0 {
            throw .badTrustKey("trust key file \(path) is writable by group or others (mode \(String(mode, radix: 8))); chmod 0644 it")
        }
        guard (attributes[.type] as? FileAttributeType) == .typeRegular,
              let data = FileManager.default.contents(atPath: path) else {
            throw .badTrustKey("trust key file \(path) is not a readable regular file")
        }
        return try TrustedKeys(parsing: String(decoding: data, as: UTF8.self), source: path)
    }

    /// `SHA256:… for ORG` of every key, for messages.
    public func describe() -> String {
        keys.map { "\(TrustedKey.fingerprint($0.publicKey)) for \($0.org)" }.joined(separator: ", ")
    }
}

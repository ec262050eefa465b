import Foundation

/// The one builder of SSH public keys for tests: lines made from wire-format parts (valid and
/// hostile keys without a key generator), and real keys from `ssh-keygen`.
public enum SSHKeys {
    /// An SSH wire string: 4-byte big-endian length, then the bytes.
    public static func wire(_ bytes: [UInt8]) -> [UInt8] {
        let n = UInt32(bytes.count)
        return [UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)] + bytes
    }

    public static func wire(_ text: String) -> [UInt8] { wire(Array(text.utf8)) }

    public static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    /// `type base64(blob) [comment]`.
    public static func line(_ type: String, blob: [UInt8], comment: String? = nil) -> String {
        type + " " + base64(blob) + (comment.map { " " + $0 } ?? "")
    }

    /// A syntactically valid ed25519 key whose `length` key bytes all equal `seed`.
    public static func ed25519(_ seed: UInt8, comment: String? = nil) -> String {
        line("ssh-ed25519", blob: ed25519Blob(seed), comment: comment)
    }

    public static func ed25519Blob(_ seed: UInt8, length: Int = 32) -> [UInt8] {
        wire("ssh-ed25519") + wire([UInt8](repeating: seed, count: length))
    }

    /// A valid ed25519 key whose 32 key bytes run `i * 7 + seed` (distinct keys for distinct seeds,
    /// no two bytes alike): the node fixtures' keys.
    public static func ed25519Patterned(_ seed: UInt8, comment: String? = nil) -> String {
        let bytes = (0..<32).map { UInt8(truncatingIfNeeded: Int($0) &* 7 &+ Int(seed)) }
        return line("ssh-ed25519", blob: wire("ssh-ed25519") + wire(bytes), comment: comment)
    }

    /// An ecdsa key on `curve` (nistp256/384/521) with a point of the right size.
    public static func ecdsa(curve: String = "nistp256", claimedCurve: String? = nil, comment: String? = nil) -> String {
        let size = curve == "nistp256" ? 65 : curve == "nistp384" ? 97 : 133
        let point: [UInt8] = [0x04] + [UInt8](repeating: 0x11, count: size - 1)
        let blob = wire("ecdsa-sha2-\(curve)") + wire(claimedCurve ?? curve) + wire(point)
        return line("ecdsa-sha2-\(curve)", blob: blob, comment: comment)
    }

    /// An RSA key with a modulus of `bits` bits (odd, top bit set) and exponent 65537.
    public static func rsa(bits: Int, comment: String? = nil) -> String {
        let bytes = (bits + 7) / 8
        var modulus = [UInt8](repeating: 0xa5, count: bytes)
        let topBits = bits - (bytes - 1) * 8
        modulus[0] = UInt8((1 << topBits) - 1) | UInt8(1 << (topBits - 1))
        modulus[bytes - 1] |= 1
        if modulus[0] & 0x80 != 0 { modulus.insert(0, at: 0) }
        let blob = wire("ssh-rsa") + wire([0x01, 0x00, 0x01]) + wire(modulus)
        return line("ssh-rsa", blob: blob, comment: comment)
    }

    /// A real key pair from `ssh-keygen` (no passphrase) at `path` and `path.pub`; returns the
    /// public key line. Fails with ssh-keygen's output.
    @discardableResult
    public static func generate(at path: String, type: String = "ed25519", comment: String) async throws -> String {
        let result = try await run("/usr/bin/ssh-keygen", ["-q", "-t", type, "-N", "", "-C", comment, "-f", path])
        guard result.status == 0 else { throw KeygenFailed(description: "ssh-keygen \(path): \(result.output)") }
        return try String(contentsOfFile: path + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public struct KeygenFailed: Error, CustomStringConvertible { public var description: String }
}

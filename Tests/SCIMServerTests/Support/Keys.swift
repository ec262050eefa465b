import Foundation

/// Builds OpenSSH public key lines from wire-format parts, to make valid and hostile keys.
enum Keys {
    /// An SSH wire string: 4-byte big-endian length, then the bytes.
    static func wire(_ bytes: [UInt8]) -> [UInt8] {
        let n = UInt32(bytes.count)
        return [UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)] + bytes
    }

    static func wire(_ text: String) -> [UInt8] { wire(Array(text.utf8)) }

    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    /// A syntactically valid ed25519 key whose 32 key bytes all equal `seed`.
    static func ed25519(_ seed: UInt8, comment: String? = nil) -> String {
        line("ssh-ed25519", blob: ed25519Blob(seed), comment: comment)
    }

    static func ed25519Blob(_ seed: UInt8, length: Int = 32) -> [UInt8] {
        wire("ssh-ed25519") + wire([UInt8](repeating: seed, count: length))
    }

    /// An ecdsa key on `curve` (nistp256/384/521) with a point of the right size.
    static func ecdsa(curve: String = "nistp256", claimedCurve: String? = nil, comment: String? = nil) -> String {
        let size = curve == "nistp256" ? 65 : curve == "nistp384" ? 97 : 133
        let point: [UInt8] = [0x04] + [UInt8](repeating: 0x11, count: size - 1)
        let blob = wire("ecdsa-sha2-\(curve)") + wire(claimedCurve ?? curve) + wire(point)
        return line("ecdsa-sha2-\(curve)", blob: blob, comment: comment)
    }

    /// An RSA key with a modulus of `bits` bits (odd, top bit set) and exponent 65537.
    static func rsa(bits: Int, comment: String? = nil) -> String {
        let bytes = (bits + 7) / 8
        var modulus = [UInt8](repeating: 0xa5, count: bytes)
        let topBits = bits - (bytes - 1) * 8
        modulus[0] = UInt8((1 << topBits) - 1) | UInt8(1 << (topBits - 1))
        modulus[bytes - 1] |= 1
        if modulus[0] & 0x80 != 0 { modulus.insert(0, at: 0) }
        let blob = wire("ssh-rsa") + wire([0x01, 0x00, 0x01]) + wire(modulus)
        return line("ssh-rsa", blob: blob, comment: comment)
    }

    static func line(_ type: String, blob: [UInt8], comment: String?) -> String {
        type + " " + base64(blob) + (comment.map { " " + $0 } ?? "")
    }
}

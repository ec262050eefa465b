// One OpenSSH public key line, parsed and checked down to the wire blob. No fingerprints here.

/// A validated SSH public key. Only plain keys of the accepted types; never options, never
/// certificates. `rendered` is the canonical single line written to authorized_keys output.
public struct SSHPublicKey: Hashable, Sendable {
    /// The key type, for example `ssh-ed25519`; always equal to the type embedded in `blob`.
    public let type: String
    /// The decoded SSH wire-format key.
    public let blob: [UInt8]
    /// Printable text after the key, runs of blanks collapsed to one space; nil when absent.
    public let comment: String?

    /// The accepted key types.
    public static let acceptedTypes = [
        "ssh-ed25519",
        "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
        "ssh-rsa",
    ]

    /// Longest accepted input line (a 16384-bit RSA key with a full comment is about 3 KB).
    public static let maximumLineLength = 8192
    /// Longest accepted comment, in UTF-8 bytes.
    public static let maximumCommentLength = 256

    /// Option names of the authorized_keys format, used only to explain a refusal.
    static let optionNames: Set<String> = [
        "agent-forwarding", "cert-authority", "command", "environment", "expiry-time", "from",
        "no-agent-forwarding", "no-port-forwarding", "no-pty", "no-touch-required", "no-user-rc",
        "no-x11-forwarding", "permitlisten", "permitopen", "port-forwarding", "principals", "pty",
        "restrict", "touch-required", "tunnel", "user-rc", "verify-required", "x11-forwarding",
    ]

    /// Parses one line with the default minimum RSA size (2048 bits).
    public init(parsing line: String) throws(RuleViolation) {
        try self.init(parsing: line, minimumRSABits: Policy.defaultMinimumRSABits)
    }

    /// Parses one line: `TYPE BASE64 [COMMENT]`.
    ///
    /// - no CR, LF, NUL or other control/format character anywhere (tabs only as separators);
    /// - leading and trailing blanks are ignored; fields are separated by runs of spaces/tabs;
    /// - the first field must be an accepted type: options (`command="…"`, `from=`, `restrict`…),
    ///   `ssh-dss`, certificates and unknown types are refused;
    /// - the blob is strict standard base64 and its SSH wire encoding is checked per type
    ///   (embedded type, sizes, curve, RSA modulus `minimumRSABits`…16384 bits, nothing trailing);
    /// - the comment (the remaining fields joined by single spaces) is at most 256 bytes.
    ///
    /// Errors have attribute `sunkSshKeys` and a reason without a key index (the list adds it).
    public init(parsing line: String, minimumRSABits: Int) throws(RuleViolation) {
        func fail(_ reason: String) -> RuleViolation {
            RuleViolation(attribute: SCIMAttribute.sshKeys, reason: reason)
        }
        if line.utf8.count > SSHPublicKey.maximumLineLength {
            throw fail("is longer than \(SSHPublicKey.maximumLineLength) bytes")
        }
        // Start-up cost matters here (the sshd helper parses every key it serves), so the line is
        // scanned as one byte array with index pairs: no array of fields, no per-field Strings,
        // no map/joined, whose generic metadata set-up cost more than the parsing itself.
        let bytes = Array(line.utf8)
        // Printable ASCII and tabs are always safe; anything else takes the scalar check, which
        // reports the first unsafe scalar.
        var plainASCII = true
        for b in bytes where b >= 0x7F || (b < 0x20 && b != 0x09) {
            plainASCII = false
            break
        }
        if !plainASCII {
            for u in line.unicodeScalars where u != "\t" && Text.isUnsafe(u) {
                throw fail("must be a single line without control characters (found \(Text.quoted(String(u))))")
            }
        }

        // Fields, split on runs of spaces and tabs (ASCII bytes, so UTF-8 boundaries are kept):
        // TYPE is typeStart..<typeEnd, BASE64 dataStart..<dataEnd (empty when absent), and the
        // comment fields span commentStart..<commentEnd (empty when absent).
        let count = bytes.count
        var i = 0
        while i < count && SSHPublicKey.isBlank(bytes[i]) { i += 1 }
        guard i < count else { throw fail("is empty") }
        let typeStart = i
        while i < count && !SSHPublicKey.isBlank(bytes[i]) { i += 1 }
        let typeEnd = i
        while i < count && SSHPublicKey.isBlank(bytes[i]) { i += 1 }
        let dataStart = i
        while i < count && !SSHPublicKey.isBlank(bytes[i]) { i += 1 }
        let dataEnd = i
        while i < count && SSHPublicKey.isBlank(bytes[i]) { i += 1 }
        let commentStart = i
        var commentEnd = count
        while commentEnd > commentStart && SSHPublicKey.isBlank(bytes[commentEnd - 1]) { commentEnd -= 1 }

        guard let type = SSHPublicKey.acceptedType(bytes, typeStart, typeEnd) else {
            throw fail(SSHPublicKey.explainUnacceptedType(String(decoding: bytes[typeStart..<typeEnd], as: UTF8.self)))
        }
        guard dataStart < dataEnd else { throw fail("has no key data after \(type)") }
        guard let blob = Base64.decode(bytes, dataStart, dataEnd) else {
            throw fail("the key data is not valid base64 (standard alphabet with correct padding)")
        }
        var comment: String? = nil
        if commentStart < commentEnd {
            // The remaining fields joined by single spaces: each run of blanks becomes one space.
            var text: [UInt8] = []
            text.reserveCapacity(commentEnd - commentStart)
            var j = commentStart
            while j < commentEnd {
                let b = bytes[j]
                if SSHPublicKey.isBlank(b) {
                    text.append(0x20)
                    j += 1
                    while SSHPublicKey.isBlank(bytes[j]) { j += 1 } // the span ends with a non-blank
                } else {
                    text.append(b)
                    j += 1
                }
            }
            if text.count > SSHPublicKey.maximumCommentLength {
                throw fail("the comment is longer than \(SSHPublicKey.maximumCommentLength) bytes")
            }
            comment = String(decoding: text, as: UTF8.self)
        }

        try SSHPublicKey.checkBlob(blob, type: type, minimumRSABits: minimumRSABits)
        self.type = type
        self.blob = blob
        self.comment = comment
    }

    /// `type base64 [comment]`: canonical and single-line.
    public var rendered: String {
        // Built as bytes in one buffer: the same text as `type + " " + base64 + " " + comment`.
        let commentCount = comment?.utf8.count ?? -1
        var out: [UInt8] = []
        out.reserveCapacity(type.utf8.count + 1 + (blob.count + 2) / 3 * 4 + commentCount + 1)
        out.append(contentsOf: type.utf8)
        out.append(0x20)
        Base64.encode(blob, into: &out)
        if let comment {
            out.append(0x20)
            out.append(contentsOf: comment.utf8)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `rendered` with authorized_keys options in front (for example `restrict`), as the sshd helper
    /// prints it. `options` must have passed `Policy.validateKeyOptions`.
    public func rendered(options: String?) -> String {
        guard let options, !options.isEmpty else { return rendered }
        return options + " " + rendered
    }

    // MARK: - Checks

    /// The field separators: space and tab.
    @inline(__always)
    static func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

    /// The entry of `acceptedTypes` whose UTF-8 is exactly `bytes[start..<end]`, nil if none.
    /// Byte equality is the same test as `String` equality here: the accepted names are ASCII, and
    /// the only non-ASCII scalars canonically equivalent to ASCII are U+037E (`;`), U+1FEF (`` ` ``)
    /// and U+212A (`K`), none of which occur in them.
    static func acceptedType(_ bytes: [UInt8], _ start: Int, _ end: Int) -> String? {
        let length = end - start
        for name in acceptedTypes where name.utf8.count == length {
            var k = start
            var same = true
            for c in name.utf8 {
                if bytes[k] != c { same = false; break }
                k += 1
            }
            if same { return name }
        }
        return nil
    }

    static func explainUnacceptedType(_ token: String) -> String {
        let pieces = token.split(separator: ",", omittingEmptySubsequences: false)
        if pieces.contains(where: { $0.contains("=") || optionNames.contains(Text.asciiLowercased(String($0))) })
            || token.contains("\"")
        {
            return "options such as command= are not allowed; give only the key type, key data and comment"
        }
        if token == "ssh-dss" {
            return "ssh-dss (DSA) keys are not allowed; use ssh-ed25519"
        }
        if token.hasSuffix("-cert-v01@openssh.com") {
            return "certificates are not allowed; give the plain public key"
        }
        return "unknown key type \(Text.quoted(token, limit: 40)); accepted: "
            + acceptedTypes.joined(separator: ", ")
    }

    static func checkBlob(_ blob: [UInt8], type: String, minimumRSABits: Int) throws(RuleViolation) {
        func fail(_ reason: String) -> RuleViolation {
            RuleViolation(attribute: SCIMAttribute.sshKeys, reason: reason)
        }
        var r = WireReader(blob)
        guard let embedded = r.string() else { throw fail("the key data is truncated") }
        guard embedded.elementsEqual(type.utf8) else {
            throw fail("the key data holds a \(Text.quoted(bytes: embedded, limit: 40)) key, not \(type)")
        }
        switch type {
        case "ssh-ed25519":
            try ed25519(&r)
        case "sk-ssh-ed25519@openssh.com":
            try ed25519(&r)
            guard r.string() != nil else { throw fail("the key data is truncated (no application)") }
        case "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521":
            try ecdsa(&r, curve: type == "ecdsa-sha2-nistp256" ? "nistp256" : type == "ecdsa-sha2-nistp384" ? "nistp384" : "nistp521")
        case "sk-ecdsa-sha2-nistp256@openssh.com":
            try ecdsa(&r, curve: "nistp256")
            guard r.string() != nil else { throw fail("the key data is truncated (no application)") }
        case "ssh-rsa":
            try rsa(&r, minimumBits: minimumRSABits)
        default:
            throw fail("unknown key type")
        }
        guard r.isAtEnd else { throw fail("the key data has unexpected trailing bytes") }

        func ed25519(_ r: inout WireReader) throws(RuleViolation) {
            guard let key = r.string() else { throw fail("the key data is truncated") }
            guard key.count == 32 else { throw fail("an ed25519 key must be 32 bytes, this one has \(key.count)") }
        }

        func ecdsa(_ r: inout WireReader, curve: String) throws(RuleViolation) {
            guard let name = r.string() else { throw fail("the key data is truncated") }
            guard name.elementsEqual(curve.utf8) else {
                throw fail("the key data names curve \(Text.quoted(bytes: name, limit: 20)), not \(curve)")
            }
            guard let point = r.string() else { throw fail("the key data is truncated") }
            let expected = curve == "nistp256" ? 65 : curve == "nistp384" ? 97 : 133
            guard point.count == expected, point.first == 0x04 else {
                throw fail("the \(curve) point must be \(expected) bytes in uncompressed form (0x04…)")
            }
        }

        func rsa(_ r: inout WireReader, minimumBits: Int) throws(RuleViolation) {
            guard let e = r.string(), let n = r.string() else { throw fail("the key data is truncated") }
            guard let eMagnitude = positive(e) else { throw fail("the RSA exponent must be a positive integer") }
            guard eMagnitude.last! & 1 == 1, eMagnitude.count > 1 || eMagnitude.first! >= 3 else {
                throw fail("the RSA exponent must be odd and at least 3")
            }
            guard let nMagnitude = positive(n) else { throw fail("the RSA modulus must be a positive integer") }
            let bits = (nMagnitude.count - 1) * 8 + (8 - nMagnitude.first!.leadingZeroBitCount)
            guard bits >= minimumBits && bits <= Policy.maximumRSABits else {
                throw fail("RSA keys must have \(minimumBits) to \(Policy.maximumRSABits) bits, this one has \(bits)")
            }
            guard nMagnitude.last! & 1 == 1 else { throw fail("the RSA modulus must be odd") }
        }

        /// The magnitude of a positive SSH mpint (two's complement, big-endian): not empty (zero), not
        /// negative, at most one leading 0x00 sign byte. Nil otherwise.
        func positive(_ mpint: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
            guard let first = mpint.first, first & 0x80 == 0 else { return nil }
            let magnitude = first == 0 ? mpint.dropFirst() : mpint
            guard let top = magnitude.first, top != 0 else { return nil }
            return magnitude
        }
    }
}

/// Reads SSH wire-format strings (uint32 big-endian length, then the bytes).
struct WireReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func string() -> ArraySlice<UInt8>? {
        guard bytes.count - offset >= 4 else { return nil }
        var length = 0
        for i in 0..<4 { length = length << 8 | Int(bytes[offset + i]) }
        let start = offset + 4
        guard length <= bytes.count - start else { return nil }
        offset = start + length
        return bytes[start..<offset]
    }
}

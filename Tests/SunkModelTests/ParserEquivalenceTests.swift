import Testing
@testable import SunkModel

// The key parser, Base64 and `rendered` are written for start-up cost (index pairs over one byte
// array, no [Substring]/map/joined). These tests pin them to the straightforward formulation they
// replaced, kept below verbatim as the reference: same key or the same refusal reason, on the real
// and hostile lines of the other suites and on many deterministic mutations of them.

/// The parser as first written: fields as an array of slices, comment by map/joined.
private func referenceParse(_ line: String, minimumRSABits: Int) throws(RuleViolation) -> ReferenceKey {
    func fail(_ reason: String) -> RuleViolation {
        RuleViolation(attribute: SCIMAttribute.sshKeys, reason: reason)
    }
    if line.utf8.count > SSHPublicKey.maximumLineLength {
        throw fail("is longer than \(SSHPublicKey.maximumLineLength) bytes")
    }
    for u in line.unicodeScalars where u != "\t" && Text.isUnsafe(u) {
        throw fail("must be a single line without control characters (found \(Text.quoted(String(u))))")
    }
    let bytes = Array(line.utf8)
    var fields: [ArraySlice<UInt8>] = []
    var start: Int? = nil
    for (i, b) in bytes.enumerated() {
        if b == 0x20 || b == 0x09 {
            if let s = start { fields.append(bytes[s..<i]); start = nil }
        } else if start == nil {
            start = i
        }
    }
    if let s = start { fields.append(bytes[s...]) }
    guard let typeField = fields.first else { throw fail("is empty") }

    let type = String(decoding: typeField, as: UTF8.self)
    guard SSHPublicKey.acceptedTypes.contains(type) else {
        throw fail(SSHPublicKey.explainUnacceptedType(type))
    }
    guard fields.count >= 2 else { throw fail("has no key data after \(type)") }
    guard let blob = referenceBase64Decode(Array(fields[1])) else {
        throw fail("the key data is not valid base64 (standard alphabet with correct padding)")
    }
    var comment: String? = nil
    if fields.count > 2 {
        let text = fields[2...].map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
        if text.utf8.count > SSHPublicKey.maximumCommentLength {
            throw fail("the comment is longer than \(SSHPublicKey.maximumCommentLength) bytes")
        }
        comment = text
    }
    try SSHPublicKey.checkBlob(blob, type: type, minimumRSABits: minimumRSABits)
    return ReferenceKey(type: type, blob: blob, comment: comment)
}

private struct ReferenceKey {
    var type: String
    var blob: [UInt8]
    var comment: String?
    var rendered: String { type + " " + referenceBase64Encode(blob) + (comment.map { " " + $0 } ?? "") }
}

private func referenceBase64Encode(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var out: [UInt8] = []
    var i = 0
    while i + 3 <= bytes.count {
        let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
        out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
        i += 3
    }
    let rest = bytes.count - i
    if rest == 1 {
        let n = UInt32(bytes[i]) << 16
        out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
    } else if rest == 2 {
        let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
        out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], UInt8(ascii: "=")]
    }
    return String(decoding: out, as: UTF8.self)
}

private func referenceBase64Decode(_ chars: [UInt8]) -> [UInt8]? {
    func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return c - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return c - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }
    guard chars.count % 4 == 0 else { return nil }
    var out: [UInt8] = []
    let pad = UInt8(ascii: "=")
    var i = 0
    while i < chars.count {
        let isLast = i + 4 == chars.count
        guard let a = value(chars[i]), let b = value(chars[i + 1]) else { return nil }
        let c3 = chars[i + 2], c4 = chars[i + 3]
        if c3 == pad {
            guard isLast, c4 == pad, b & 0x0F == 0 else { return nil }
            out.append(a << 2 | b >> 4)
        } else if c4 == pad {
            guard isLast, let c = value(c3), c & 0x03 == 0 else { return nil }
            out.append(a << 2 | b >> 4)
            out.append(b << 4 | c >> 2)
        } else {
            guard let c = value(c3), let d = value(c4) else { return nil }
            out.append(a << 2 | b >> 4)
            out.append(b << 4 | c >> 2)
            out.append(c << 6 | d)
        }
        i += 4
    }
    return out
}

/// Deterministic xorshift generator (no randomness in tests).
private struct Mutator {
    var state: UInt64

    mutating func next(_ bound: Int) -> Int {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Int(state % UInt64(bound))
    }

    static let pieces: [String] = [
        " ", "\t", "  ", " \t ", "=", "==", "A", "a", "+", "/", "-", "_", "0", ",", "\"", "K", "@", ".",
        "\u{0}", "\n", "\r", "\u{7F}", "\u{85}", "\u{A0}", "é", "e\u{301}", "ü", "\u{202E}", "\u{200B}",
        "\u{212A}", "\u{37E}", "\u{1FEF}", "\u{2028}", "\u{E000}", "\u{FFFF}", "😀", "\u{FEFF}",
        "ssh-ed25519", "ssh-rsa", "nistp256", "laptop", "restrict,", "command=", "-cert-v01@openssh.com",
    ]

    mutating func mutate(_ line: String) -> String {
        var chars = Array(line)
        for _ in 0...next(3) {
            switch next(9) {
            case 0, 1: // insert a piece
                chars.insert(contentsOf: Array(Mutator.pieces[next(Mutator.pieces.count)]), at: next(chars.count + 1))
            case 2: // delete one character
                if !chars.isEmpty { chars.remove(at: next(chars.count)) }
            case 3: // replace one character
                if !chars.isEmpty {
                    chars[next(chars.count)] = Array(Mutator.pieces[next(Mutator.pieces.count)])[0]
                }
            case 4: // truncate
                chars = Array(chars.prefix(next(chars.count + 1)))
            case 5: // widen every separator
                chars = Array(String(chars).replacingAll(" ", with: [" \t", "  ", "\t", " \t \t"][next(4)]))
            case 6: // blanks around the line
                chars = Array(["", " ", "\t", "  \t"][next(4)]) + chars + Array(["", " ", "\t", " \t "][next(4)])
            case 7: // a comment near the length limit, in several fields
                let words = (0..<(1 + next(6))).map { _ in String(repeating: "w", count: 1 + next(80)) }
                chars += Array(" " + words.joined(separator: ["  ", "\t", " ", " \t "][next(4)]))
            default: // a multi-byte comment
                chars += Array(" " + String(repeating: "ë", count: next(140)) + ["", " x", "\tx y"][next(3)])
            }
        }
        return String(chars)
    }
}

private extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}

private let seedLines: [String] = hostileKeyLines + [
    fixtureCreateKey, fixturePutKey, generatedEd25519, generatedRSA2048, generatedRSA4096, generatedRSA1024,
    generatedECDSA256, generatedECDSA384, generatedECDSA521, generatedDSA, generatedCertificate,
    "ssh-ed25519 \(ed25519Data) Ada  \t Lovelace\tlaptop  ",
    "\t ssh-ed25519\t\t\(ed25519Data)\t",
    "ssh-ed25519 \(ed25519Data) " + String(repeating: "c", count: 256),
    "ssh-ed25519 \(ed25519Data) " + String(repeating: "c", count: 128) + "  " + String(repeating: "c", count: 127),
    "ssh-ed25519 \(ed25519Data) " + String(repeating: "c", count: 128) + "  " + String(repeating: "c", count: 128),
    "ssh-ed25519 \(ed25519Data) " + String(repeating: "é", count: 128),
    "ssh-ed25519 \(ed25519Data) Zoë's laptop",
    "ssh-\u{212A}ed25519 \(ed25519Data)", "ssh-ed25519\u{301} \(ed25519Data)", "ssh-ed25519\u{A0}\(ed25519Data)",
    line("ecdsa-sha2-nistp256", ecdsaBlob(curve: "nistp384", pointLength: 97, type: "ecdsa-sha2-nistp256")),
    line("ecdsa-sha2-nistp384", ecdsaBlob(curve: "nistp256", pointLength: 65, type: "ecdsa-sha2-nistp384")),
    line("ecdsa-sha2-nistp521", ecdsaBlob(curve: "nistp521", pointLength: 133)),
    line("ecdsa-sha2-nistp521", ecdsaBlob(curve: "nistp384", pointLength: 133, type: "ecdsa-sha2-nistp521")),
    line("sk-ecdsa-sha2-nistp256@openssh.com", ecdsaBlob(curve: "nistp256", pointLength: 65,
         type: "sk-ecdsa-sha2-nistp256@openssh.com") + sshString("ssh:"), "sk"),
    line("sk-ssh-ed25519@openssh.com", sshString("sk-ssh-ed25519@openssh.com") + sshString(filler(32)) + sshString("ssh:")),
    line("ssh-rsa", rsaBlob(bits: 3072), "rsa"),
    "ssh-ed25519 " + String(repeating: "A", count: 8200),
    "", " ", "\t\t", "ssh-ed25519", "ssh-ed25519 ", "ssh-ed25519 \t", "ssh-ed25519 = x", "ssh-ed25519 ==== x",
]

private func describe(_ type: String, _ blob: [UInt8], _ comment: String?, _ rendered: String) -> String {
    "ok \(type) \(blob) \(comment.map { "[" + $0 + "]" } ?? "nil") \(rendered)"
}

private func newOutcome(_ line: String, _ bits: Int) -> String {
    do throws(RuleViolation) {
        let key = try SSHPublicKey(parsing: line, minimumRSABits: bits)
        return describe(key.type, key.blob, key.comment, key.rendered)
    } catch {
        return "refused \(error.attribute): \(error.reason)"
    }
}

private func referenceOutcome(_ line: String, _ bits: Int) -> String {
    do throws(RuleViolation) {
        let key = try referenceParse(line, minimumRSABits: bits)
        return describe(key.type, key.blob, key.comment, key.rendered)
    } catch {
        return "refused \(error.attribute): \(error.reason)"
    }
}

@Suite("Key parser matches its reference formulation")
struct ParserEquivalenceTests {
    @Test func seedLinesParseAsTheReferenceDoes() {
        for line in seedLines {
            for bits in [1024, 2048, 4096] {
                #expect(newOutcome(line, bits) == referenceOutcome(line, bits), "\(line.debugDescription)")
            }
        }
    }

    @Test func mutatedLinesParseAsTheReferenceDoes() {
        var m = Mutator(state: 0x9E37_79B9_7F4A_7C15)
        var accepted = 0
        for round in 0..<12_000 {
            let line = m.mutate(seedLines[round % seedLines.count])
            let new = newOutcome(line, 2048)
            let old = referenceOutcome(line, 2048)
            #expect(new == old, "\(line.debugDescription)")
            if new.hasPrefix("ok ") { accepted += 1 }
        }
        #expect(accepted > 500) // the mutations keep a fair share of valid keys
    }

    @Test func ecdsaCurveFollowsTheType() {
        // checkBlob names the curve the type promises (first written as the type minus "ecdsa-sha2-").
        let curves = ["nistp256": 65, "nistp384": 97, "nistp521": 133]
        for (typeCurve, _) in curves {
            let type = "ecdsa-sha2-" + typeCurve
            for (blobCurve, pointLength) in curves {
                let text = line(type, ecdsaBlob(curve: blobCurve, pointLength: pointLength, type: type))
                let result = newOutcome(text, 2048)
                if blobCurve == typeCurve {
                    #expect(result.hasPrefix("ok \(type) "), "\(result)")
                } else {
                    #expect(result == "refused sunkSshKeys: the key data names curve \"\(blobCurve)\", not \(typeCurve)")
                }
            }
        }
    }

    @Test func renderedIsTheConcatenation() throws {
        for line in seedLines {
            guard let key = try? SSHPublicKey(parsing: line, minimumRSABits: 1024) else { continue }
            #expect(key.rendered == key.type + " " + referenceBase64Encode(key.blob) + (key.comment.map { " " + $0 } ?? ""))
            #expect(Base64.encode(key.blob) == referenceBase64Encode(key.blob))
        }
    }

    @Test func base64DecodesAsTheReferenceDoes() {
        var m = Mutator(state: 0xD1B5_4A32_D192_ED03)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ .".utf8)
        for _ in 0..<20_000 {
            let length = m.next(4) == 0 ? m.next(13) : m.next(4) * 4 + 4
            var chars = (0..<length).map { _ in alphabet[m.next(m.next(3) == 0 ? alphabet.count : 64)] }
            if m.next(2) == 0, length >= 2 { chars[length - 1] = UInt8(ascii: "=") }
            if m.next(3) == 0, length >= 2 { chars[length - 2] = UInt8(ascii: "=") }
            let text = String(decoding: chars, as: UTF8.self)
            #expect(Base64.decode(text) == referenceBase64Decode(chars), "\(text)")
            #expect(Base64.decode(utf8: chars) == referenceBase64Decode(chars), "\(text)")
        }
        for count in 0..<40 {
            let bytes = filler(count, seed: UInt8(count))
            #expect(Base64.encode(bytes) == referenceBase64Encode(bytes))
            #expect(Base64.decode(referenceBase64Encode(bytes)) == bytes)
        }
    }
}

import Testing
import SunkModel

@Suite("SSH public keys")
struct SSHKeyTests {
    @Test("Okta fixture keys and ssh-keygen keys parse and re-render identically", arguments: [
        fixtureCreateKey, fixturePutKey, generatedEd25519, generatedRSA2048, generatedRSA4096,
        generatedECDSA256, generatedECDSA384, generatedECDSA521,
    ])
    func realKeysRoundTrip(_ raw: String) throws {
        let key = try SSHPublicKey(parsing: raw)
        #expect(key.rendered == raw)
        #expect(raw.hasPrefix(key.type + " "))
        #expect(try SSHPublicKey(parsing: key.rendered) == key)
        // The same key in a list.
        #expect(try PosixRules.sshKeys([raw], policy: .default) == [key])
    }

    @Test func fixtureKeyFields() throws {
        let key = try SSHPublicKey(parsing: fixtureCreateKey)
        #expect(key.type == "ssh-ed25519")
        #expect(key.comment == "ada@laptop")
        #expect(key.blob.count == 51)
    }

    @Test("synthetic keys of every accepted type parse", arguments: [
        line("ssh-ed25519", ed25519Blob()),
        line("ecdsa-sha2-nistp256", ecdsaBlob(curve: "nistp256", pointLength: 65)),
        line("ecdsa-sha2-nistp384", ecdsaBlob(curve: "nistp384", pointLength: 97)),
        line("ecdsa-sha2-nistp521", ecdsaBlob(curve: "nistp521", pointLength: 133)),
        line("sk-ssh-ed25519@openssh.com",
             sshString("sk-ssh-ed25519@openssh.com") + sshString(filler(32)) + sshString("ssh:"), "yubikey"),
        line("sk-ecdsa-sha2-nistp256@openssh.com",
             sshString("sk-ecdsa-sha2-nistp256@openssh.com") + sshString("nistp256") + sshString([4] + filler(64))
                 + sshString("ssh:"), "yubikey"),
        line("ssh-rsa", rsaBlob(bits: 2048)),
        line("ssh-rsa", rsaBlob(bits: 3072, exponent: [0x23])),
        line("ssh-rsa", rsaBlob(bits: 16384)),
        line("ssh-rsa", rsaBlob(bits: 2049)), // top byte 0x01: no sign byte needed
        line("ssh-rsa", rsaBlob(bits: 4096, exponent: [0x00, 0x01, 0x00, 0x01])),
    ])
    func syntheticKeys(_ raw: String) throws {
        let key = try SSHPublicKey(parsing: raw)
        #expect(key.rendered == raw)
    }

    @Test func blanksAreNormalised() throws {
        let key = try SSHPublicKey(parsing: "  ssh-ed25519\t\(ed25519Data)   Ada \t Lovelace  laptop \t")
        #expect(key.comment == "Ada Lovelace laptop")
        #expect(key.rendered == "ssh-ed25519 \(ed25519Data) Ada Lovelace laptop")
    }

    @Test func commentIsOptionalAndMayBeUnicode() throws {
        let bare = try SSHPublicKey(parsing: "ssh-ed25519 \(ed25519Data)")
        #expect(bare.comment == nil)
        #expect(bare.rendered == "ssh-ed25519 \(ed25519Data)")
        let unicode = try SSHPublicKey(parsing: "ssh-ed25519 \(ed25519Data) Zoë's laptop")
        #expect(unicode.comment == "Zoë's laptop")
        let longest = try SSHPublicKey(parsing: "ssh-ed25519 \(ed25519Data) " + String(repeating: "c", count: 256))
        #expect(longest.comment?.utf8.count == 256)
    }

    @Test func reasonsAreSpecific() {
        let options = expectRefused("sunkSshKeys") { () throws(RuleViolation) in
            _ = try PosixRules.sshKeys([fixturePutKey, "command=\"rm -rf /\" " + fixtureCreateKey], policy: .default)
        }
        #expect(options?.reason.hasPrefix("key 2: options such as command= are not allowed") == true)

        let dss = expectRefused("sunkSshKeys") { () throws(RuleViolation) in _ = try SSHPublicKey(parsing: generatedDSA) }
        #expect(dss?.reason.contains("ssh-dss") == true)
        let cert = expectRefused("sunkSshKeys") { () throws(RuleViolation) in
            _ = try SSHPublicKey(parsing: generatedCertificate)
        }
        #expect(cert?.reason.contains("certificates") == true)
        let unknown = expectRefused("sunkSshKeys") { () throws(RuleViolation) in
            _ = try SSHPublicKey(parsing: "ssh-foo \(ed25519Data)")
        }
        #expect(unknown?.reason.hasPrefix("unknown key type") == true)
        let mismatch = expectRefused("sunkSshKeys") { () throws(RuleViolation) in
            _ = try SSHPublicKey(parsing: "ssh-rsa \(ed25519Data)")
        }
        #expect(mismatch?.reason.contains("ssh-ed25519") == true)
        let small = expectRefused("sunkSshKeys") { () throws(RuleViolation) in _ = try SSHPublicKey(parsing: generatedRSA1024) }
        #expect(small?.reason.contains("1024") == true)
        let newline = expectRefused("sunkSshKeys") { () throws(RuleViolation) in
            _ = try SSHPublicKey(parsing: fixtureCreateKey + "\nssh-ed25519 x")
        }
        #expect(newline?.reason.contains("\\n") == true) // escaped, never raw
    }

    @Test func listDropsEmptiesAndDuplicates() throws {
        let keys = try PosixRules.sshKeys(
            ["", fixtureCreateKey, "  ", "ssh-ed25519 \(ed25519Data) other comment", fixturePutKey, "\t"],
            policy: .default)
        #expect(keys.map(\.rendered) == [fixtureCreateKey, fixturePutKey]) // first of a duplicate wins
    }

    @Test func listIndexCountsOriginalPositions() {
        let error = expectRefused("sunkSshKeys") { () throws(RuleViolation) in
            _ = try PosixRules.sshKeys(["", fixtureCreateKey, "ssh-dss AAAA"], policy: .default)
        }
        #expect(error?.reason.hasPrefix("key 3: ") == true)
    }

    @Test func listLimits() throws {
        let distinct = (0..<32).map { line("ssh-ed25519", sshString("ssh-ed25519") + sshString(filler(32, seed: UInt8($0)))) }
        #expect(try PosixRules.sshKeys(distinct, policy: .default).count == 32)
        let error = expectRefused("sunkSshKeys") { () throws(RuleViolation) in
            _ = try PosixRules.sshKeys(Array(repeating: fixtureCreateKey, count: 33), policy: .default)
        }
        #expect(error?.reason.contains("32") == true)
        // Empty entries do not count.
        #expect(try PosixRules.sshKeys(distinct + ["", " "], policy: .default).count == 32)
        var tight = Policy.default
        tight.maxKeys = 1
        expectRefused("sunkSshKeys") { () throws(RuleViolation) in
            _ = try PosixRules.sshKeys([fixtureCreateKey, fixturePutKey], policy: tight)
        }
    }

    @Test func policyMinimumRSABits() throws {
        var strict = Policy.default
        strict.minimumRSABits = 3072
        expectRefused("sunkSshKeys") { () throws(RuleViolation) in
            _ = try PosixRules.sshKeys([generatedRSA2048], policy: strict)
        }
        #expect(try PosixRules.sshKeys([generatedRSA4096], policy: strict).count == 1)
        #expect(throws: RuleViolation.self) { try SSHPublicKey(parsing: generatedRSA2048, minimumRSABits: 4096) }
    }

    @Test func renderedWithOptions() throws {
        let key = try SSHPublicKey(parsing: fixtureCreateKey)
        #expect(key.rendered(options: "restrict") == "restrict " + fixtureCreateKey)
        #expect(key.rendered(options: nil) == fixtureCreateKey)
    }
}

@Suite("Base64")
struct Base64Tests {
    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648Vectors(_ plain: String, _ encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test func allBytesRoundTrip() {
        let bytes = (0...255).map(UInt8.init) + (0...255).reversed().map(UInt8.init)
        for n in [0, 1, 2, 3, 254, 255, 511, 512] {
            let slice = Array(bytes.prefix(n))
            #expect(Base64.decode(Base64.encode(slice)) == slice)
        }
    }

    @Test(arguments: [
        "Zg", "Zg=", "Zg===", "Z===", "====", "Zh==", "Zm9=", "Zg==Zm9v", "Zm 9v", "Zm9v\n", "Zm-v", "Zm_v",
        "Zm9v ", "=Zm9", "Zm=v", "Zm9v====", "Zé9v",
    ])
    func strictDecodingRefuses(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }
}

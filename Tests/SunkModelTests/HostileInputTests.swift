import Testing
import SunkModel

// Tables of hostile values: every one must be refused with the right SCIM attribute, a non-empty
// reason, and no control character echoed back.

let hostileUserNames: [String] = [
    "", "-abc", "a b", "Root", "root", "ROOT", "daemon", "nobody", "sshd", "slurm", "munge", "_apt",
    String(repeating: "a", count: 33), "ada\n", "ada\r", "ada:x", "ada,x", "ada=x", "ada/x", "../../etc/shadow",
    "ada\u{0}", "ünicode", "ada$", "1ada", "9", "Ada", "ada.lovelace", "ada@example.com", " ada", "ada ",
    "ada\t", "a\u{202E}b", "ada\u{200B}", "+ada", "*", "ada\u{7F}",
]

let hostileGroupNames: [String] = [
    "", "sudo", "wheel", "root", "adm", "admin", "shadow", "docker", "Docker", "-hpc", "hpc team", "hpc:x",
    "hpc\n", String(repeating: "g", count: 33), "grüppe", "4hpc",
]

let hostileIDs: [PosixIDInput] = [
    .integer(0), .integer(999), .integer(1000), .integer(9999), .integer(65534), .integer(60000), .integer(65535),
    .integer(4_294_967_295), .integer(2_147_483_648), .integer(-1), .integer(Int64.min), .integer(Int64.max),
    .double(100001.5), .double(.nan), .double(.infinity), .double(-.infinity), .double(-1), .double(0),
    .double(-0.0), .double(65534), .double(1e300), .double(2_147_483_648), .double(.ulpOfOne),
    .string("1e5"), .string(" 100001"), .string("100001 "), .string("+100001"), .string("-100001"),
    .string("0100001"), .string(""), .string("0"), .string("100001.0"), .string("0x186A1"),
    .string("4294967295"), .string("99999999999999999999"), .string("65534"), .string("١٠٠٠٠١"),
    .string("100001\n"), .string("100\u{0}001"),
]

let hostileHomes: [String] = [
    "/home", "/home/", "/home/../etc", "/home/./ada", "/home//ada", "home/ada", "/home/a:b", "/home/ada\n",
    "/homeX/ada", "/etc/ada", "/", "", "/home/ada\u{0}", "/home/ada/..", "/home/ada/.", "/home/ada//",
    "/home2", "/home/ada\u{7F}", "/home/a\u{85}b", "/home/\u{202E}ada", "/home/ada\t", " /home/ada",
    "/home/..", "//home/ada", "/home/" + String(repeating: "a", count: 256),
    "/home/" + Array(repeating: String(repeating: "d", count: 200), count: 21).joined(separator: "/"),
    "~ada", "/home/ada\r\n",
]

let hostileShells: [String] = [
    "/bin/evil", "bash", "/bin/../bin/bash", "/bin/bash\n", "", "/bin/bash/", "/bin//bash",
    "/usr/local/bin/bash", " /bin/bash", "/bin/bash\u{0}", "/BIN/BASH", "/bin/bash -c id", "/", "/tmp/sh",
    "/bin/./bash",
]

private let ed25519Good = Base64.decode(ed25519Data)!
private let ec256Data = String(generatedECDSA256.split(separator: " ")[1])

let hostileKeyLines: [String] = [
    // options in front of the key
    "command=\"rm -rf /\" \(fixtureCreateKey)",
    "from=\"*\" \(fixtureCreateKey)",
    "restrict \(fixtureCreateKey)",
    "no-pty \(fixtureCreateKey)",
    "cert-authority \(fixtureCreateKey)",
    "environment=\"LD_PRELOAD=/tmp/x.so\" \(fixtureCreateKey)",
    "no-pty,no-agent-forwarding \(fixtureCreateKey)",
    "permitopen=\"*:*\" \(fixtureCreateKey)",
    "tunnel=\"0\" \(fixtureCreateKey)",
    // refused or unknown types
    generatedDSA,
    generatedCertificate,
    "ssh-ed448 \(ed25519Data)",
    "SSH-ED25519 \(ed25519Data)",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com \(ed25519Data)",
    "ssh-rsa-cert-v01@openssh.com \(ed25519Data)",
    // missing or broken data
    "ssh-ed25519",
    "",
    "   \t ",
    "ssh-ed25519 " + String(ed25519Data.dropLast(4)),          // truncated blob
    "ssh-ed25519 " + String(ed25519Data.dropLast(1)),          // truncated base64
    "ssh-ed25519 " + ed25519Data + "=",                         // bad padding
    "ssh-ed25519 " + ed25519Data + "====",                      // padding block of its own
    "ssh-ed25519 AAAAC3NzaC1lZDI1 NTE5AAAAILQwuexkUkfmgaRc8TfBKQn5whYd06jzr41VYHQrQER8", // space inside
    generatedEd25519.replacingFirst("+", "-"),                  // base64url alphabet
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILQw_exkUkfmgaRc8TfBKQn5whYd06jzr41VYHQrQER8", // base64url
    "ecdsa-sha2-nistp256 " + ec256Data.replacingFirst("AKY=", "AKZ="), // non-zero padding bits
    "ecdsa-sha2-nistp256 " + ec256Data.replacingFirst("AKY=", "AK=Y"),
    // blob content
    "ssh-rsa \(ed25519Data)",                                   // embedded type mismatch
    "ecdsa-sha2-nistp384 \(ec256Data)",                         // wrong curve type
    line("ssh-ed25519", ed25519Blob(keyLength: 31)),
    line("ssh-ed25519", ed25519Blob(keyLength: 33)),
    line("ssh-ed25519", ed25519Blob(keyLength: 0)),
    line("ssh-ed25519", ed25519Good + [0, 0, 0, 0]),            // trailing garbage
    line("ssh-ed25519", ed25519Good + [0x41]),
    line("ssh-ed25519", Array(ed25519Good.dropLast(1))),
    line("ssh-ed25519", [0xFF, 0xFF, 0xFF, 0xFF] + Array(ed25519Good.dropFirst(4))), // huge length
    line("ssh-ed25519", []),
    line("ecdsa-sha2-nistp256", ecdsaBlob(curve: "nistp256", pointLength: 64)),
    line("ecdsa-sha2-nistp256", ecdsaBlob(curve: "nistp256", pointLength: 65, firstByte: 0x02)),
    line("ecdsa-sha2-nistp256", ecdsaBlob(curve: "nistp384", pointLength: 65, type: "ecdsa-sha2-nistp256")),
    line("ecdsa-sha2-nistp521", ecdsaBlob(curve: "nistp521", pointLength: 132)),
    line("sk-ssh-ed25519@openssh.com", sshString("sk-ssh-ed25519@openssh.com") + sshString(filler(32))), // no application
    line("sk-ecdsa-sha2-nistp256@openssh.com",
         sshString("sk-ecdsa-sha2-nistp256@openssh.com") + sshString("nistp384") + sshString([4] + filler(64)) + sshString("ssh:")),
    generatedRSA1024,
    line("ssh-rsa", rsaBlob(bits: 2047)),
    line("ssh-rsa", rsaBlob(bits: 16392)),
    line("ssh-rsa", rsaBlob(bits: 2048, odd: false)),
    line("ssh-rsa", rsaBlob(bits: 2048, exponent: [])),               // zero exponent
    line("ssh-rsa", rsaBlob(bits: 2048, exponent: [0x01])),           // e = 1
    line("ssh-rsa", rsaBlob(bits: 2048, exponent: [0x01, 0x00, 0x00])), // even e
    line("ssh-rsa", rsaBlob(bits: 2048, exponent: [0x81, 0x00, 0x01])), // negative e
    line("ssh-rsa", rsaBlob(bits: 2048, signByte: false)),            // negative modulus
    line("ssh-rsa", sshString("ssh-rsa") + sshString([1, 0, 1]) + sshString([0, 0] + filler(256))), // non-canonical
    line("ssh-rsa", sshString("ssh-rsa") + sshString([1, 0, 1])),     // no modulus
    // line hygiene
    fixtureCreateKey.replacingFirst("ada@laptop", "ada\nlaptop"),
    fixtureCreateKey + "\n",
    fixtureCreateKey + "\r",
    fixtureCreateKey + "\n" + fixturePutKey,
    "ssh-ed25519 \(ed25519Data)\u{0} ada",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\u{0}AAAAILQwuexkUkfmgaRc8TfBKQn5whYd06jzr41VYHQrQER8",
    "ssh-ed25519 \(ed25519Data) \u{202E}potpal@ada",
    "ssh-ed25519 \(ed25519Data) ada\u{1B}[31m",
    "ssh-ed25519 \(ed25519Data) " + String(repeating: "c", count: 257),
    "ssh-ed25519 \(ed25519Data) " + String(repeating: "é", count: 129),
    "ssh-ed25519 " + String(repeating: "A", count: 9000),
]

@Suite("Hostile inputs are refused")
struct HostileInputTests {
    @Test(arguments: hostileUserNames)
    func userName(_ raw: String) {
        expectRefused("sunkPosixUsername") { () throws(RuleViolation) in
            _ = try PosixRules.userName(raw, policy: .default)
        }
    }

    @Test(arguments: hostileGroupNames)
    func explicitGroupName(_ raw: String) {
        expectRefused("displayName") { () throws(RuleViolation) in
            _ = try PosixRules.groupName(raw, policy: .default)
        }
    }

    @Test(arguments: hostileIDs)
    func userID(_ v: PosixIDInput) {
        expectRefused("sunkPosixUserId") { () throws(RuleViolation) in _ = try PosixRules.userID(v, policy: .default) }
    }

    @Test(arguments: hostileIDs)
    func groupID(_ v: PosixIDInput) {
        expectRefused("sunkPosixGroupId") { () throws(RuleViolation) in _ = try PosixRules.groupID(v, policy: .default) }
    }

    @Test(arguments: hostileHomes)
    func homeDirectory(_ raw: String) {
        expectRefused("sunkPreferredHomeDirectory") { () throws(RuleViolation) in
            _ = try PosixRules.homeDirectory(raw, policy: .default)
        }
    }

    @Test(arguments: hostileShells)
    func loginShell(_ raw: String) {
        expectRefused("sunkLoginShell") { () throws(RuleViolation) in
            _ = try PosixRules.loginShell(raw, policy: .default)
        }
    }

    @Test(arguments: hostileKeyLines)
    func sshKeyLine(_ raw: String) {
        expectRefused("sunkSshKeys") { () throws(RuleViolation) in _ = try SSHPublicKey(parsing: raw) }
        if raw.allSatisfy({ $0 == " " || $0 == "\t" }) {
            // An empty or blank line is dropped from a list, not refused.
            #expect((try? PosixRules.sshKeys([fixturePutKey, raw], policy: .default))?.count == 1)
        } else {
            // The same line inside a list is refused too, naming its position.
            let error = expectRefused("sunkSshKeys") { () throws(RuleViolation) in
                _ = try PosixRules.sshKeys([fixturePutKey, raw], policy: .default)
            }
            #expect(error?.reason.hasPrefix("key 2: ") == true, "\(error?.reason ?? "")")
        }
    }

    @Test(arguments: [
        "sudo", "SUDO", "Wheel", "root", "Docker", "adm", "admin", "shadow", "(sudo)", " sudo ", "ssh", "kvm",
    ])
    func derivedReservedGroupName(_ displayName: String) {
        let error = expectRefused("displayName") { () throws(RuleViolation) in
            _ = try PosixRules.derivedGroupName(fromDisplayName: displayName, policy: .default)
        }
        #expect(error?.reason.contains("reserved system group") == true)
        #expect(error?.reason.contains("groupNameMappings") == true)
    }
}

extension PosixIDInput: CustomTestStringConvertible {
    public var testDescription: String {
        switch self {
        case .integer(let i): "integer(\(i))"
        case .double(let d): "double(\(d))"
        case .string(let s): "string(\(s.debugDescription))"
        }
    }
}

extension String {
    func replacingFirst(_ target: String, _ replacement: String) -> String {
        guard let range = self.firstRange(of: target) else { return self }
        var copy = self
        copy.replaceSubrange(range, with: replacement)
        return copy
    }
}

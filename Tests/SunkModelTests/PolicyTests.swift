import Foundation // tests only: JSON round-trips. The SunkModel module itself imports nothing.
import Testing
import SunkModel

@Suite("Policy")
struct PolicyTests {
    @Test func defaultIsValid() throws {
        try Policy.default.validate()
        #expect(Policy.default.userIDRange == IDRange(lower: 10000, upper: 2_147_483_647))
        #expect(Policy.default.allocatedUserIDRange == IDRange(1_000_000...1_999_999))
        #expect(Policy.default.allocatedGroupIDRange == IDRange(2_000_000...2_999_999))
        #expect(Policy.default.homePrefixes == ["/home"])
        #expect(Policy.default.shells.count == 20)
        #expect(Policy.default.defaultShell == "/bin/bash")
        #expect(Policy.default.deactivation == .lock)
        #expect(Policy.default.keyOptions == nil)
        #expect(Policy.default.maxKeys == 32 && Policy.default.nameMaxLength == 32)
        #expect(Policy.default.minimumRSABits == 2048)
        #expect(!Policy.default.reserveLegacyConsoleGroups)
        #expect(Policy.default.reservedUserNames.contains("root") && Policy.default.reservedGroupNames.contains("sudo"))
    }

    @Test func emptyJSONDecodesToDefault() throws {
        let decoded = try JSONDecoder().decode(Policy.self, from: Data("{}".utf8))
        #expect(decoded == Policy.default)
    }

    @Test func partialJSONKeepsOtherDefaults() throws {
        let json = #"{"maxKeys": 4, "homePrefixes": ["/shared/home"], "deactivation": "remove", "keyOptions": "restrict"}"#
        let decoded = try JSONDecoder().decode(Policy.self, from: Data(json.utf8))
        var expected = Policy.default
        expected.maxKeys = 4
        expected.homePrefixes = ["/shared/home"]
        expected.deactivation = .remove
        expected.keyOptions = "restrict"
        #expect(decoded == expected)
        try decoded.validate()
    }

    @Test func roundTrip() throws {
        var p = Policy.default
        p.groupNameMappings = ["sudo": "hpc-sudoers"]
        p.reserveLegacyConsoleGroups = true
        p.keyOptions = "restrict,pty"
        p.userIDRange = IDRange(lower: 20000, upper: 3_000_000)
        for policy in [Policy.default, p] {
            let data = try JSONEncoder().encode(policy)
            #expect(try JSONDecoder().decode(Policy.self, from: data) == policy)
        }
    }

    @Test func wrongTypesStillFailToDecode() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Policy.self, from: Data(#"{"maxKeys": "many"}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Policy.self, from: Data(#"{"deactivation": "delete"}"#.utf8))
        }
    }

    static let invalidPolicies: [(String, Policy)] = {
        func with(_ change: (inout Policy) -> Void) -> Policy {
            var p = Policy.default
            change(&p)
            return p
        }
        return [
            ("policy.userIDRange", with { $0.userIDRange = IDRange(lower: 0, upper: 100_000) }),
            ("policy.userIDRange", with { $0.userIDRange = IDRange(lower: 999, upper: 100_000) }),
            ("policy.groupIDRange", with { $0.groupIDRange = IDRange(lower: 500, upper: 2_999_999) }),
            ("policy.userIDRange", with { $0.userIDRange = IDRange(lower: 3_000_000, upper: 20000) }),
            ("policy.userIDRange", with { $0.userIDRange = IDRange(lower: 10000, upper: 2_147_483_648) }),
            ("policy.allocatedUserIDRange", with { $0.allocatedUserIDRange = IDRange(lower: 5000, upper: 9000) }),
            ("policy.allocatedUserIDRange", with { $0.allocatedUserIDRange = IDRange(lower: 50000, upper: 70000) }),
            ("policy.allocatedGroupIDRange", with { $0.allocatedGroupIDRange = IDRange(lower: 1_500_000, upper: 2_500_000) }),
            ("policy.allocatedGroupIDRange", with { $0.allocatedGroupIDRange = IDRange(lower: 200, upper: 300) }),
            ("policy.homePrefixes", with { $0.homePrefixes = [] }),
            ("policy.homePrefixes", with { $0.homePrefixes = ["/"] }),
            ("policy.homePrefixes", with { $0.homePrefixes = ["home"] }),
            ("policy.homePrefixes", with { $0.homePrefixes = ["/home/"] }),
            ("policy.homePrefixes", with { $0.homePrefixes = ["/home/../etc"] }),
            ("policy.homePrefixes", with { $0.homePrefixes = ["/home", "/srv//homes"] }),
            ("policy.homePrefixes", with { $0.homePrefixes = ["/home\n"] }),
            ("policy.homePrefixes", with { $0.homePrefixes = ["/etc", "/root"] }),
            ("policy.homePrefixes", with { $0.homePrefixes = ["/home", "/etc/systemd/system"] }),
            ("policy.homePrefixes", with { $0.homePrefixes = ["/var"] }),
            ("policy.homePrefixes", with { $0.homePrefixes = ["/var/lib/homes"] }),
            ("policy.homePrefixes", with { $0.homePrefixes = ["/lib64/x"] }),
            ("policy.shells", with { $0.shells = [] }),
            ("policy.shells", with { $0.shells = $0.shells + ["bash"] }),
            ("policy.defaultShell", with { $0.defaultShell = "/usr/local/bin/bash" }),
            ("policy.keyOptions", with { $0.keyOptions = "command=\"/bin/sh\"" }),
            ("policy.keyOptions", with { $0.keyOptions = "restrict," }),
            ("policy.keyOptions", with { $0.keyOptions = "restrict, no-pty" }),
            ("policy.keyOptions", with { $0.keyOptions = "" }),
            ("policy.keyOptions", with { $0.keyOptions = "agent-forwarding" }),
            ("policy.keyOptions", with { $0.keyOptions = "restrict\nno-pty" }),
            ("policy.nameMaxLength", with { $0.nameMaxLength = 5 }),
            ("policy.nameMaxLength", with { $0.nameMaxLength = 1000 }),
            ("policy.minimumRSABits", with { $0.minimumRSABits = 1024 }),
            ("policy.minimumRSABits", with { $0.minimumRSABits = 32768 }),
            ("policy.maxKeys", with { $0.maxKeys = -1 }),
            ("policy.groupNameMappings", with { $0.groupNameMappings = ["hpc": "sudo"] }),
            ("policy.groupNameMappings", with { $0.groupNameMappings = ["hpc": "HPC Team"] }),
            ("policy.groupNameMappings", with { $0.groupNameMappings = ["HPC Research (EU)": "hpc_eu"] }),
            ("policy.groupNameMappings", with { $0.groupNameMappings = ["-hpc": "hpc"] }),
        ]
    }()

    @Test(arguments: invalidPolicies)
    func invalidPoliciesAreRefused(_ attribute: String, _ policy: Policy) {
        expectRefused(attribute) { () throws(RuleViolation) in try policy.validate() }
    }

    @Test(arguments: ["restrict", "restrict,pty", "no-pty,no-X11-forwarding", "NO-PTY", "restrict,port-forwarding,pty",
                      "no-agent-forwarding,no-port-forwarding,no-user-rc"])
    func allowedKeyOptions(_ options: String) throws {
        try Policy.validateKeyOptions(options)
    }

    @Test func mappingKeyReasonSuggestsTheDerivedName() {
        var p = Policy.default
        p.groupNameMappings = ["HPC Research (EU)": "hpc_eu"]
        let e = expectRefused("policy.groupNameMappings") { () throws(RuleViolation) in try p.validate() }
        #expect(e?.reason.contains("\"hpc-research-eu\"") == true)
    }

    @Test func customValidPolicy() throws {
        var p = Policy.default
        p.homePrefixes = ["/home", "/shared/homes", "/var/home", "/etcetera/home"]
        p.shells = ["/bin/bash", "/usr/sbin/nologin"]
        p.userIDRange = IDRange(lower: 1000, upper: 59999)
        p.allocatedUserIDRange = IDRange(lower: 40000, upper: 49999)
        p.groupIDRange = IDRange(lower: 1000, upper: 3_000_000)
        p.nameMaxLength = 16
        p.groupNameMappings = ["sudo": "hpc-sudoers", "g2027-team": "team2027", "hpc-research-eu": "hpc_eu"]
        try p.validate()
    }
}

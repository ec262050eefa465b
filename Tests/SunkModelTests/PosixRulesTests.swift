import Testing
import SunkModel

@Suite("POSIX rules: accepted values and exact results")
struct PosixRulesTests {
    // MARK: names

    @Test(arguments: ["ada", "_svc", "a", "ada-lovelace", "ada_l0velace", "a-", String(repeating: "a", count: 32)])
    func validUserNames(_ name: String) throws {
        #expect(try PosixRules.userName(name, policy: .default) == name)
    }

    @Test func userNameReasons() {
        #expect(expectRefused("sunkPosixUsername") { () throws(RuleViolation) in
            _ = try PosixRules.userName("-abc", policy: .default)
        }?.reason == "must match ^[a-z_][a-z0-9_-]{0,31}$")
        #expect(expectRefused("sunkPosixUsername") { () throws(RuleViolation) in
            _ = try PosixRules.userName("root", policy: .default)
        }?.reason == "\"root\" is a reserved system name")
        #expect(expectRefused("sunkPosixUsername") { () throws(RuleViolation) in
            _ = try PosixRules.userName(String(repeating: "a", count: 33), policy: .default)
        }?.reason.contains("at most 32") == true)
    }

    @Test func nameLengthFollowsPolicy() throws {
        var p = Policy.default
        p.nameMaxLength = 12
        #expect(try PosixRules.userName("abcdefghijkl", policy: p) == "abcdefghijkl")
        let e = expectRefused("sunkPosixUsername") { () throws(RuleViolation) in
            _ = try PosixRules.userName("abcdefghijklm", policy: p)
        }
        #expect(e?.reason.contains("{0,11}") == true)
    }

    @Test func reservedUserNamesFromPolicyCompareCaseInsensitively() {
        var p = Policy.default
        p.reservedUserNames = ["Svc_Backup"]
        expectRefused("sunkPosixUsername") { () throws(RuleViolation) in _ = try PosixRules.userName("svc_backup", policy: p) }
        #expect((try? PosixRules.userName("root", policy: p)) == "root") // the list is the policy's
    }

    @Test(arguments: [
        ("ada@example.com", "ada"), ("Ada@Example.com", "ada"), ("ADA", "ada"), ("ada_l@x", "ada_l"),
        ("ada@b@c", "ada"),
    ])
    func derivedUserNames(_ userName: String, _ expected: String) {
        #expect(PosixRules.derivedUserName(fromUserName: userName, policy: .default) == expected)
    }

    @Test(arguments: [
        "ada.lovelace@example.com", // dots are not allowed: documented, no rewriting
        "root@example.com", "Root@example.com", "@example.com", "", "ünicode@x", "a+tag@x", "1ada@x",
        "ada\n@x", String(repeating: "a", count: 33) + "@x",
    ])
    func underivableUserNames(_ userName: String) {
        #expect(PosixRules.derivedUserName(fromUserName: userName, policy: .default) == nil)
    }

    // MARK: group names

    @Test(arguments: [
        ("HPC Research (EU)", "hpc-research-eu"),
        ("2027 Team", "g2027-team"),
        ("", "g"),
        ("***", "g"),
        ("-leading and trailing-", "leading-and-trailing"),
        ("a--b  c", "a-b-c"),
        ("__x__", "__x__"),
        ("Ünïcode Grüppe", "n-code-gr-ppe"),
        ("Ops/Storage: Tier 1", "ops-storage-tier-1"),
        ("metrics", "metrics"),          // legacy console names are allowed by default
        ("line\nbreak", "line-break"),
        ("ABCDEFGHIJKLMNOPQRSTUV-----------------------------------x", "abcdefghijklmnopqrstuv-x"),
        ("Computational Fluid Dynamics Research Group - Europe West 27", "computational-fluid-dyn-01f08982"),
        ("Computational Fluid Dynamics Research Group - Europe West 28", "computational-fluid-dyn-04f08e3b"),
        ("ABCDEFGHIJKLMNOPQRSTUV WXYZ ABCDEFGHIJ", "abcdefghijklmnopqrstuv-d7e207d9"), // trailing "-" trimmed
    ])
    func derivedGroupNames(_ displayName: String, _ expected: String) throws {
        let name = try PosixRules.derivedGroupName(fromDisplayName: displayName, policy: .default)
        #expect(name == expected)
        #expect(try PosixRules.groupName(name, policy: .default) == name) // always a valid explicit name
    }

    @Test func longDisplayNameIsTruncatedStably() throws {
        let long = "Computational Fluid Dynamics Research Group - Europe West 27"
        #expect(long.count == 60)
        let a = try PosixRules.derivedGroupName(fromDisplayName: long, policy: .default)
        let b = try PosixRules.derivedGroupName(fromDisplayName: long, policy: .default)
        #expect(a == b)
        #expect(a.count == 32)
        #expect(PosixRules.derivedGroupBaseName(fromDisplayName: long, policy: .default) == a)
        // A derived name derives to itself, so it can be used as a groupNameMappings key.
        #expect(PosixRules.derivedGroupBaseName(fromDisplayName: a, policy: .default) == a)
    }

    @Test func groupNameMappings() throws {
        var p = Policy.default
        p.groupNameMappings = ["sudo": "hpc-sudoers", "hpc-research-eu": "hpc_eu"]
        #expect(try PosixRules.derivedGroupName(fromDisplayName: "Sudo", policy: p) == "hpc-sudoers")
        #expect(try PosixRules.derivedGroupName(fromDisplayName: "HPC Research (EU)", policy: p) == "hpc_eu")
        #expect(try PosixRules.derivedGroupName(fromDisplayName: "HPC Research (US)", policy: p) == "hpc-research-us")

        p.groupNameMappings = ["hpc": "wheel"]
        expectRefused("displayName") { () throws(RuleViolation) in _ = try PosixRules.derivedGroupName(fromDisplayName: "HPC", policy: p) }
        p.groupNameMappings = ["hpc": "Bad Name"]
        expectRefused("displayName") { () throws(RuleViolation) in _ = try PosixRules.derivedGroupName(fromDisplayName: "HPC", policy: p) }
    }

    @Test func legacyConsoleGroupsWhenEnabled() throws {
        var p = Policy.default
        p.reserveLegacyConsoleGroups = true
        for name in ["metrics", "read", "write", "billing_viewer"] {
            expectRefused("displayName") { () throws(RuleViolation) in
                _ = try PosixRules.derivedGroupName(fromDisplayName: name, policy: p)
            }
            expectRefused("displayName") { () throws(RuleViolation) in _ = try PosixRules.groupName(name, policy: p) }
        }
        // "Billing Viewer" derives billing-viewer, which is not the legacy name billing_viewer.
        #expect(try PosixRules.derivedGroupName(fromDisplayName: "Billing Viewer", policy: p) == "billing-viewer")
        #expect(try PosixRules.groupName("metrics", policy: .default) == "metrics")
    }

    @Test func reservedGroupReasonTellsWhatToDo() {
        let e = expectRefused("displayName") { () throws(RuleViolation) in
            _ = try PosixRules.derivedGroupName(fromDisplayName: "sudo", policy: .default)
        }
        #expect(e?.reason == "\"sudo\" is a reserved system group; rename the group in the IdP or map it with groupNameMappings")
    }

    // MARK: ids

    @Test(arguments: [
        (PosixIDInput.double(100001.0), UInt32(100001)), (.string("100001"), 100001), (.integer(100001), 100001),
        (.integer(10000), 10000), (.integer(59999), 59999), (.integer(65536), 65536),
        (.integer(2_147_483_647), 2_147_483_647), (.double(2_147_483_647), 2_147_483_647),
        (.string("2147483647"), 2_147_483_647), (.double(100000.0), 100000),
    ])
    func acceptedIDs(_ input: PosixIDInput, _ expected: UInt32) throws {
        #expect(try PosixRules.userID(input, policy: .default) == expected)
        #expect(try PosixRules.groupID(input, policy: .default) == expected)
    }

    @Test func idReasons() {
        #expect(expectRefused("sunkPosixUserId") { () throws(RuleViolation) in
            _ = try PosixRules.userID(.integer(1000), policy: .default)
        }?.reason == "1000 is below the allowed range 10000–2147483647")
        #expect(expectRefused("sunkPosixGroupId") { () throws(RuleViolation) in
            _ = try PosixRules.groupID(.integer(65534), policy: .default)
        }?.reason.contains("65534") == true)
    }

    @Test func idRangesFollowPolicy() throws {
        var p = Policy.default
        p.userIDRange = IDRange(lower: 100_000, upper: 199_999)
        expectRefused("sunkPosixUserId") { () throws(RuleViolation) in _ = try PosixRules.userID(.integer(99_999), policy: p) }
        expectRefused("sunkPosixUserId") { () throws(RuleViolation) in _ = try PosixRules.userID(.integer(200_000), policy: p) }
        #expect(try PosixRules.userID(.integer(150_000), policy: p) == 150_000)
        #expect(try PosixRules.groupID(.integer(99_999), policy: p) == 99_999) // gid range unchanged
        // A range that spans 60000–65535 still never yields those ids.
        p.userIDRange = IDRange(lower: 1000, upper: 100_000)
        expectRefused("sunkPosixUserId") { () throws(RuleViolation) in _ = try PosixRules.userID(.integer(65534), policy: p) }
        #expect(PosixRules.isForbiddenID(0) && PosixRules.isForbiddenID(60000) && PosixRules.isForbiddenID(.max))
        #expect(!PosixRules.isForbiddenID(59999) && !PosixRules.isForbiddenID(65536))
    }

    // MARK: homes and shells

    @Test(arguments: [
        ("/home/ada/", "/home/ada"), ("/home/ada", "/home/ada"), ("/home/eu/ada", "/home/eu/ada"),
        ("/home/ada.lovelace", "/home/ada.lovelace"), ("/home/...", "/home/..."), ("/home/Zoë", "/home/Zoë"),
    ])
    func homes(_ raw: String, _ expected: String) throws {
        #expect(try PosixRules.homeDirectory(raw, policy: .default) == expected)
    }

    @Test func homePrefixesFromPolicy() throws {
        var p = Policy.default
        p.homePrefixes = ["/home", "/shared/homes"]
        #expect(try PosixRules.homeDirectory("/shared/homes/ada", policy: p) == "/shared/homes/ada")
        expectRefused("sunkPreferredHomeDirectory") { () throws(RuleViolation) in
            _ = try PosixRules.homeDirectory("/shared/homes", policy: p)
        }
        expectRefused("sunkPreferredHomeDirectory") { () throws(RuleViolation) in
            _ = try PosixRules.homeDirectory("/shared/homesX/ada", policy: p)
        }
        #expect(try PosixRules.defaultHomeDirectory(userName: "ada", policy: p) == "/home/ada")
        #expect(PosixRules.isSameOrBelow("/home/ada/x", "/home/ada"))
        #expect(PosixRules.isSameOrBelow("/home/ada", "/home/ada"))
        #expect(!PosixRules.isSameOrBelow("/home/adam", "/home/ada"))
    }

    @Test(arguments: Policy.defaultShells)
    func defaultShellsAccepted(_ shell: String) throws {
        #expect(try PosixRules.loginShell(shell, policy: .default) == shell)
    }

    @Test(arguments: [
        ("/usr/sbin/nologin", true), ("/sbin/nologin", true), ("/bin/false", true), ("/usr/bin/false", true),
        ("/bin/bash", false), ("/bin/sh", false), ("/usr/bin/nologin-not", false), ("nologin", false),
        ("/bin/falsehood", false),
        // Only the exact paths: a last component that merely reads nologin or false is an ordinary shell.
        ("/opt/evil/nologin", false), ("/tmp/false", false), ("/home/eve/nologin", false),
        ("/usr/local/sbin/nologin", false), ("/usr/sbin/nologin/", false), ("//usr/sbin/nologin", false),
    ])
    func nologinShells(_ shell: String, _ expected: Bool) {
        #expect(PosixRules.isNologinShell(shell) == expected)
    }

    @Test func lockedShellAndDefaultsUseTheExactNologinPaths() {
        #expect(PosixRules.isNologinShell(PosixRules.lockedShell))
        #expect(PosixRules.nologinShells.allSatisfy { Policy.defaultShells.contains($0) })
        #expect(Policy.defaultShells.filter(PosixRules.isNologinShell) == PosixRules.nologinShells)
    }

    // MARK: home prefixes

    static let systemTreePrefixes = [
        "/", "/etc", "/etc/ssh", "/etc/systemd/system/ssh.service.d", "/root", "/root/homes", "/usr", "/usr/local/home",
        "/bin", "/sbin", "/lib", "/lib/home", "/lib32", "/lib64", "/libx32", "/boot", "/dev", "/dev/shm", "/proc",
        "/sys", "/run", "/run/user", "/tmp", "/tmp/homes", "/var", "/var/lib", "/var/tmp/home", "/var/home2",
        "/var/homes", "/var/log/home",
    ]

    @Test(arguments: systemTreePrefixes)
    func systemTreesAreNeverHomePrefixes(_ prefix: String) {
        let e = expectRefused("node.homePrefixes") { () throws(RuleViolation) in
            _ = try PosixRules.homePrefix(prefix, attribute: "node.homePrefixes")
        }
        #expect(e?.reason.contains(prefix == "/" ? "\"/\" is not allowed" : "system tree") == true, "\(e?.reason ?? "")")
    }

    @Test(arguments: ["/home", "/var/home", "/var/home/users", "/shared/home", "/data/users", "/etcetera",
                      "/rooted", "/usrdata/home", "/homes", "/mnt/home", "/srv/home", "/opt/home", "/tmpfs-home"])
    func ordinaryHomePrefixesAreAccepted(_ prefix: String) throws {
        #expect(try PosixRules.homePrefix(prefix, attribute: "policy.homePrefixes") == prefix)
    }

    @Test(arguments: ["home", "/home/", "/home//x", "/home/../etc", "/home/./x", "/ho:me", "/home\n", ""])
    func unnormalisedHomePrefixesAreRefused(_ prefix: String) {
        expectRefused("policy.homePrefixes") { () throws(RuleViolation) in
            _ = try PosixRules.homePrefix(prefix, attribute: "policy.homePrefixes")
        }
    }

    @Test func systemTreeReasonNamesTheTreeAndTheException() {
        let inside = expectRefused("policy.homePrefixes") { () throws(RuleViolation) in
            _ = try PosixRules.homePrefix("/etc/systemd", attribute: "policy.homePrefixes")
        }
        #expect(inside?.reason.hasPrefix("\"/etc/systemd\" lies inside the system tree /etc; a home prefix must be outside /bin, ") == true,
                "\(inside?.reason ?? "")")
        #expect(inside?.reason.contains("only /var/home and below is allowed in /var") == true)
        let equal = expectRefused("policy.homePrefixes") { () throws(RuleViolation) in
            _ = try PosixRules.homePrefix("/lib64", attribute: "policy.homePrefixes")
        }
        #expect(equal?.reason.hasPrefix("\"/lib64\" is the system tree /lib64;") == true, "\(equal?.reason ?? "")")
    }

    @Test func homesAgainstExplicitPrefixesAreComponentWise() throws {
        #expect(try PosixRules.homeDirectory("/home/ada", prefixes: ["/home"]) == "/home/ada")
        #expect(try PosixRules.homeDirectory("/data/x/eve/", prefixes: ["/home", "/data/x"]) == "/data/x/eve")
        for home in ["/home2/x", "/home", "/data/eve", "/homeX/ada"] {
            let e = expectRefused("sunkPreferredHomeDirectory") { () throws(RuleViolation) in
                _ = try PosixRules.homeDirectory(home, prefixes: ["/home"])
            }
            #expect(e?.reason == "must be strictly below an allowed prefix (\"/home\")")
        }
    }

    // MARK: GECOS

    @Test(arguments: [
        ("Ada Lovelace", "Ada Lovelace"),
        ("Ada:Lovelace,Admin=1\\x", "AdaLovelaceAdmin1x"),
        ("  Ada \t\n Lovelace  ", "Ada Lovelace"),
        ("Ada\u{0}\u{7}Lovelace", "AdaLovelace"),
        ("Zoë O'Brien-Smith (HPC)", "Zoë O'Brien-Smith (HPC)"),
        ("\u{202E}evil\u{200B}", "evil"),
        ("root:x:0:0::/root:/bin/bash\nevil", "rootx00/root/bin/bash evil"),
        ("", ""),
        (" : , = ", ""),
        ("Ada\u{A0}\u{2028}Lovelace", "Ada Lovelace"),
    ])
    func gecos(_ input: String, _ expected: String) {
        #expect(PosixRules.gecos(input) == expected)
    }

    @Test func gecosIsBoundedOnCharacterBoundaries() {
        let accents = PosixRules.gecos(String(repeating: "é", count: 200))
        #expect(accents == String(repeating: "é", count: 64))
        let flags = PosixRules.gecos(String(repeating: "🇪🇺", count: 40)) // 8 bytes each
        #expect(flags == String(repeating: "🇪🇺", count: 16))
        let ascii = PosixRules.gecos(String(repeating: "a", count: 127) + " bcd")
        #expect(ascii == String(repeating: "a", count: 127)) // trailing space trimmed after the cut
        for text in [accents, flags, ascii] {
            #expect(text.utf8.count <= 128)
            #expect(!containsControl(text))
        }
    }
}

import Testing
@testable import SunkModel

/// The ASCII case folding every reserved-name check uses: A–Z only, never another script's letters.
@Suite struct TextFoldingTests {
    @Test("asciiLowercased folds A–Z and nothing else")
    func lowercased() {
        #expect(Text.asciiLowercased("ROOT") == "root")
        #expect(Text.asciiLowercased("already-lower_9") == "already-lower_9")
        #expect(Text.asciiLowercased("ÀÉ-Ab") == "ÀÉ-ab", "non-ASCII capitals are kept")
        #expect(Text.asciiLowercased("İSTANBUL") == "İstanbul")
    }

    @Test("equalsIgnoringASCIICase agrees with comparing asciiLowercased strings")
    func equalsIgnoringCase() {
        let words = ["root", "Root", "ROOT", "roo", "rooT ", "rööt", "RÖÖT", "", "sudo", "SUDO", "İ", "i", "I"]
        for a in words {
            for b in words {
                #expect(Text.equalsIgnoringASCIICase(a, b) == (Text.asciiLowercased(a) == Text.asciiLowercased(b)),
                        "\(a) vs \(b)")
            }
        }
    }

    @Test("reserved names are refused whatever their ASCII case, under both rules")
    func reservedNames() {
        let policy = Policy.default
        var configured = policy
        configured.reservedUserNames = ["Ops"]
        configured.reservedGroupNames = ["Lab-Admins"]
        #expect(throws: RuleViolation.self) { try PosixRules.userName("ops", policy: configured) }
        #expect(throws: RuleViolation.self) { try PosixRules.groupName("lab-admins", policy: configured) }
        #expect((try? PosixRules.userName("opsx", policy: configured)) == "opsx")
        do {
            _ = try PosixRules.userName("ops", policy: configured)
        } catch {
            #expect(error.reason.contains("reserved"), "\(error)")
        }
        #expect(policy.reservesGroupName("SUDO"))
        #expect(!policy.reservesGroupName("sudoers"))
        var legacy = policy
        legacy.reserveLegacyConsoleGroups = true
        #expect(!policy.reservesGroupName("Billing_Viewer"))
        #expect(legacy.reservesGroupName("Billing_Viewer"))
    }
}

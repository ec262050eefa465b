import Foundation // tests only: JSON round-trips. The SunkModel module itself imports nothing.
import Testing
import SunkModel

@Suite("PolicyPatch and the field table")
struct PolicyPatchTests {
    /// The table names every field of the patch exactly once, under its JSON key.
    @Test func tableCoversEveryJSONKey() throws {
        var full = PolicyPatch(Policy.default)
        full.keyOptions = "restrict"
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(full)) as! [String: Any]
        #expect(Set(object.keys) == Set(PolicyField.all.map(\.name)))
        #expect(PolicyField.all.count == Set(PolicyField.all.map(\.name)).count)
        let spellings = PolicyField.all.flatMap(\.spellings)
        #expect(spellings.count == Set(spellings).count)
        let flags = PolicyField.all.map(\.flag)
        #expect(flags.count == Set(flags).count)
    }

    @Test func emptyPatchChangesNothingAndFullPatchRebuilds() {
        var p = Policy.default
        p.userIDRange = IDRange(lower: 20000, upper: 29999)
        p.keyOptions = "restrict"
        p.groupNameMappings = ["a": "b"]
        #expect(PolicyPatch().applied(to: p) == p)
        #expect(PolicyPatch().isEmpty && !PolicyPatch(p).isEmpty)
        #expect(PolicyPatch(p).applied(to: .default) == p)
    }

    @Test func policyEncodesAsItsFullPatch() throws {
        var p = Policy.default
        p.maxKeys = 4
        let policyJSON = try JSONSerialization.jsonObject(with: JSONEncoder().encode(p)) as! NSDictionary
        let patchJSON = try JSONSerialization.jsonObject(with: JSONEncoder().encode(PolicyPatch(p))) as! NSDictionary
        #expect(policyJSON == patchJSON)
        #expect(policyJSON["keyOptions"] == nil)
    }

    @Test func emptyKeyOptionsClears() {
        var p = Policy.default
        p.keyOptions = "restrict"
        var patch = PolicyPatch()
        patch.keyOptions = ""
        #expect(patch.applied(to: p).keyOptions == nil)
    }

    @Test("flag words", arguments: [
        ("userIDRange", "user-id-range"), ("allocatedGroupIDRange", "allocated-group-id-range"),
        ("minimumRSABits", "minimum-rsa-bits"), ("reserveLegacyConsoleGroups", "reserve-legacy-console-groups"),
        ("uidRange", "uid-range"), ("shells", "shells"),
    ])
    func words(name: String, words: String) {
        #expect(PolicyField.words(name) == words)
    }

    @Test func lookupByNameAliasAndFlagWords() {
        #expect(PolicyField.named("userIDRange")?.name == "userIDRange")
        #expect(PolicyField.named("user-id-range")?.name == "userIDRange")
        #expect(PolicyField.named("uidRange")?.name == "userIDRange")
        #expect(PolicyField.named("uid-range")?.name == "userIDRange")
        #expect(PolicyField.named("legacy-console-groups")?.name == "reserveLegacyConsoleGroups")
        #expect(PolicyField.named("home-prefix")?.name == "homePrefixes")
        #expect(PolicyField.named("nope") == nil)
    }

    @Test func textRoundTripsThroughEveryScalarField() throws {
        var p = Policy.default
        p.userIDRange = IDRange(lower: 20000, upper: 3_000_000)
        p.reserveLegacyConsoleGroups = true
        p.deactivation = .remove
        p.keyOptions = "restrict,pty"
        p.maxKeys = 7
        p.groupNameMappings = ["sudo": "hpc-sudoers", "x": "y"]
        var patch = PolicyPatch()
        for field in PolicyField.all {
            let shown = field.value(in: p)
            switch field.kind {
            case .stringList:
                try field.set(.list(shown.split(separator: " ").map(String.init)), in: &patch)
            case .stringMap:
                try field.set(.list(shown.split(separator: " ").map(String.init)), in: &patch)
            default:
                try field.set(.text(shown), in: &patch)
            }
        }
        #expect(patch.applied(to: .default) == p)
    }

    @Test("one range syntax", arguments: [
        ("10000-60000", IDRange(lower: 10000, upper: 60000)), ("10000–60000", IDRange(lower: 10000, upper: 60000)),
        (" 1 - 2 ", IDRange(lower: 1, upper: 2)), ("30000-20000", IDRange(lower: 30000, upper: 20000)),
    ])
    func rangeParses(text: String, range: IDRange) throws {
        #expect(try IDRange.parse(text) == range)
        #expect(try IDRange.parse(range.description) == range)
    }

    @Test(arguments: ["20000", "a-b", "1-2-3", "-5", "", "1-"])
    func rangeRefuses(text: String) {
        #expect(throws: RuleViolation.self) { try IDRange.parse(text) }
    }

    @Test func parseErrorsNameTheField() {
        var patch = PolicyPatch()
        #expect(throws: RuleViolation(attribute: "policy.userIDRange",
                                        reason: "\"20000\" must look like LOW-HIGH, for example 10000-2147483647")) {
            try PolicyField.named("uidRange")!.set(.text("20000"), in: &patch)
        }
        #expect(throws: RuleViolation(attribute: "policy.reserveLegacyConsoleGroups",
                                        reason: "\"maybe\" is not true or false")) {
            try PolicyField.named("reserveLegacyConsoleGroups")!.set(.text("maybe"), in: &patch)
        }
        #expect(throws: RuleViolation(attribute: "policy.deactivation", reason: "\"delete\" must be lock or remove")) {
            try PolicyField.named("deactivation")!.set(.text("delete"), in: &patch)
        }
        #expect(throws: RuleViolation(attribute: "policy.maxKeys", reason: "\"many\" is not an integer")) {
            try PolicyField.named("maxKeys")!.set(.text("many"), in: &patch)
        }
        #expect(patch.isEmpty)
    }
}

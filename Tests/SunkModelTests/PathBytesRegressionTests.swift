import Testing
import SunkModel

/// Paths are checked on their UTF-8 bytes, as the kernel reads them. Found while writing the byte-wise
/// home properties of the snapshot fuzz target (Fuzz/): `Paths.components` split and trimmed
/// `Character`s, and a `/` followed by a combining mark is one `Character`, not a separator, so a
/// `..` could hide behind it and a trailing-slash strip could eat a letter. Now components are
/// split on bytes and a `/` that is not a `Character` of its own is refused.
@Suite("Paths are split on bytes, not Characters (fuzz-snapshot regression)")
struct PathBytesRegressionTests {
    @Test("a .. component is refused even when a combining mark follows the next slash", arguments: [
        "/home/../\u{301}ada",      // the kernel resolves it to /\u{301}ada: outside every prefix
        "/home/ada/../\u{301}bob",
        "/home/./\u{301}ada",
        "/home/ada//\u{301}x",      // an empty component the same way
    ])
    func hiddenDotDot(_ raw: String) {
        _ = expectRefused(SCIMAttribute.homeDirectory) { () throws(RuleViolation) in
            _ = try PosixRules.homeDirectory(raw, policy: .default)
        }
    }

    @Test("a combining mark on the first slash does not make the first component match a prefix")
    func combiningMarkOnRootSlash() {
        // Was normalised to "/home/ada": the leading "/\u{301}" was dropped as one Character.
        _ = expectRefused(SCIMAttribute.homeDirectory) { () throws(RuleViolation) in
            _ = try PosixRules.homeDirectory("/\u{301}home/ada", policy: .default)
        }
    }

    @Test("a slash that is not a Character of its own is refused", arguments: [
        "/home/ada\u{D4E}/",   // U+0D4E (a Prepend letter) + "/" is one Character: was normalised to "/home/ada"
        "/home/ada/\u{301}x",  // "/" + combining acute: String code would not see this component
        "/home/ada\u{D4E}/x",
    ])
    func slashMergedIntoCharacter(_ raw: String) {
        let error = expectRefused(SCIMAttribute.homeDirectory) { () throws(RuleViolation) in
            _ = try PosixRules.homeDirectory(raw, policy: .default)
        }
        #expect(error?.reason == "must not have a combining character next to \"/\"")
    }

    @Test("combining marks inside a component are kept, byte for byte; one trailing slash is dropped")
    func combiningMarksKept() throws {
        #expect(try PosixRules.homeDirectory("/home/cafe\u{301}", policy: .default) == "/home/cafe\u{301}")
        #expect(try PosixRules.homeDirectory("/home/cafe\u{301}/", policy: .default) == "/home/cafe\u{301}")
        #expect(try PosixRules.homeDirectory("/home/ada\u{D4E}", policy: .default) == "/home/ada\u{D4E}")
        #expect(try PosixRules.homeDirectory("/home/ada/", policy: .default) == "/home/ada")
    }

    @Test("a home prefix matches byte for byte, not by canonical equivalence")
    func prefixBytes() throws {
        var p = Policy.default
        p.homePrefixes = ["/caf\u{E9}"]
        #expect(try PosixRules.homeDirectory("/caf\u{E9}/ada", policy: p) == "/caf\u{E9}/ada")
        _ = expectRefused(SCIMAttribute.homeDirectory) { () throws(RuleViolation) in
            _ = try PosixRules.homeDirectory("/cafe\u{301}/ada", policy: p)
        }
    }

    @Test("policy prefixes and shells with a hidden .. are refused")
    func policyPaths() {
        var p = Policy.default
        p.homePrefixes = ["/home/../\u{301}x"]
        _ = expectRefused("policy.homePrefixes") { () throws(RuleViolation) in try p.validate() }
        p = Policy.default
        p.shells.append("/bin/../\u{301}sh")
        _ = expectRefused("policy.shells") { () throws(RuleViolation) in try p.validate() }
    }
}

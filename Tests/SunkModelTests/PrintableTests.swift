import Testing
import SunkModel

@Suite("Printable: the one escaping rule for logs, status lines and error details")
struct PrintableTests {
    @Test(arguments: [
        ("plain text, é and 日本", "plain text, é and 日本"),
        ("a\nb\r\tc\0", "a\\nb\\r\\tc\\0"),
        ("esc \u{1B}[31m", "esc \\u{1B}[31m"),
        ("bidi \u{202E}txt", "bidi \\u{202E}txt"),
        ("c1 \u{85} del \u{7F}", "c1 \\u{85} del \\u{7F}"),
        ("line\u{2028}sep", "line\\u{2028}sep"),
    ])
    func escapes(raw: String, shown: String) {
        #expect(Printable.escaped(raw) == shown)
        #expect(!Printable.escaped(raw).unicodeScalars.contains(where: Printable.isUnsafe))
    }

    /// A validation reason quotes a value with the same rule (plus quotes).
    @Test func reasonsUseTheSameRule() {
        var patch = PolicyPatch()
        #expect(throws: RuleViolation(attribute: "policy.maxKeys",
                                        reason: "\"" + Printable.escaped("4\u{1B}\n") + "\" is not an integer")) {
            try PolicyField.named("maxKeys")!.set(.text("4\u{1B}\n"), in: &patch)
        }
    }
}

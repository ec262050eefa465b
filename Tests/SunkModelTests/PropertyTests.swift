import Testing
import TestSupport
import SunkModel

/// Deterministic pseudo-random generator (TestSupport's SplitMix64): the same inputs on every run.
typealias SplitMix = SplitMix64

/// A string mixing ASCII, separators, controls, accents, emoji and format characters.
func randomText(_ rng: inout SplitMix, maxLength: Int = 80) -> String {
    let pool: [Unicode.Scalar] = Array("aZ09_-. :,=\\/@()\"'".unicodeScalars)
        + ["\n", "\r", "\t", "\0", "\u{7F}", "\u{85}", "\u{A0}", "\u{202E}", "\u{200B}", "\u{2028}", "é", "ß", "Ω",
           "\u{301}", "😀", "\u{FEFF}", "中"]
    var scalars = String.UnicodeScalarView()
    for _ in 0..<Int.random(in: 0...maxLength, using: &rng) {
        scalars.append(pool.randomElement(using: &rng)!)
    }
    return String(scalars)
}

@Suite("Properties over generated inputs")
struct PropertyTests {
    @Test func derivedGroupNamesAreAlwaysValidNames() {
        var rng = SplitMix(state: 1)
        let permissive = { () -> Policy in
            var p = Policy.default
            p.reservedGroupNames = []
            return p
        }()
        for _ in 0..<2000 {
            let text = randomText(&rng)
            let name = PosixRules.derivedGroupBaseName(fromDisplayName: text, policy: .default)
            #expect((try? PosixRules.groupName(name, policy: permissive)) == name, "\(text.debugDescription) → \(name)")
            #expect(PosixRules.derivedGroupBaseName(fromDisplayName: text, policy: .default) == name) // stable
        }
    }

    @Test func gecosIsAlwaysSafe() {
        var rng = SplitMix(state: 2)
        for _ in 0..<2000 {
            let out = PosixRules.gecos(randomText(&rng, maxLength: 200))
            #expect(out.utf8.count <= 128)
            #expect(!containsControl(out))
            #expect(!out.contains(where: { ":,=\\".contains($0) }))
            #expect(!out.hasPrefix(" ") && !out.hasSuffix(" ") && !out.contains("  "))
            #expect(PosixRules.gecos(out) == out) // idempotent
        }
    }

    @Test func acceptedPathsAreClean() {
        var rng = SplitMix(state: 3)
        for _ in 0..<2000 {
            let raw = "/home/" + randomText(&rng, maxLength: 20)
            guard let home = try? PosixRules.homeDirectory(raw, policy: .default) else { continue }
            #expect(!containsControl(home) && !home.contains(":") && !home.contains("//"))
            #expect(!home.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }))
            #expect(home.hasPrefix("/home/") && !home.hasSuffix("/"))
        }
    }

    @Test func base64RoundTripsAndMutationsNeverCrashTheKeyParser() throws {
        var rng = SplitMix(state: 4)
        for n in 0..<300 {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
        // Flip bytes and truncate real blobs: every outcome is a clean accept or a RuleViolation.
        for raw in [generatedRSA2048, generatedECDSA256, fixtureCreateKey] {
            let original = try SSHPublicKey(parsing: raw)
            for _ in 0..<500 {
                var blob = original.blob
                let i = Int.random(in: 0..<blob.count, using: &rng)
                blob[i] = UInt8.random(in: 0...255, using: &rng)
                if Bool.random(using: &rng) { blob = Array(blob.prefix(Int.random(in: 0...blob.count, using: &rng))) }
                if let key = try? SSHPublicKey(parsing: line(original.type, blob)) {
                    #expect(key.rendered == line(original.type, blob))
                }
            }
        }
    }

    @Test func randomKeyLinesNeverEchoControls() {
        var rng = SplitMix(state: 5)
        for _ in 0..<2000 {
            let text = randomText(&rng)
            do throws(RuleViolation) {
                _ = try SSHPublicKey(parsing: text)
                Issue.record("accepted \(text.debugDescription)")
            } catch {
                #expect(!containsControl(error.reason), "\(error.reason.debugDescription)")
            }
        }
    }
}

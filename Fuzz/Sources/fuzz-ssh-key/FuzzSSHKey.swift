// libFuzzer target: `SSHPublicKey(parsing:)` on one arbitrary line, and the round trip of `rendered`.
//
// Properties checked besides "no crash": an accepted key re-parses from its `rendered` form to an
// equal key whose `rendered` is the same bytes (canonical form is a fixed point), and `rendered` is
// one line without control bytes (it is written verbatim to authorized_keys output and the keys cache);
// a refusal's reason has no control character either.
import SunkModel

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let line = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    // The first input byte also picks the RSA minimum, so the 2048…16384 bound gets exercised.
    for minimumRSABits in [Policy.defaultMinimumRSABits, size > 0 ? 2048 + Int(data[0]) * 56 : 4096] {
        let key: SSHPublicKey
        do throws(RuleViolation) {
            key = try SSHPublicKey(parsing: line, minimumRSABits: minimumRSABits)
        } catch {
            // RuleViolation's contract: a reason never contains control characters (it reaches
            // SCIM error responses and logs; offending values are rendered escaped).
            for u in error.description.unicodeScalars where u.value < 0x20 || (0x7F...0x9F).contains(u.value) {
                fatalError("error reason has control character U+\(String(u.value, radix: 16)): \(error.description.debugDescription)")
            }
            continue
        }
        let rendered = key.rendered
        for b in rendered.utf8 where b < 0x20 || b == 0x7F {
            fatalError("rendered key contains control byte \(b): \(rendered.debugDescription)")
        }
        let again: SSHPublicKey
        do throws(RuleViolation) {
            again = try SSHPublicKey(parsing: rendered, minimumRSABits: minimumRSABits)
        } catch {
            fatalError("rendered key does not re-parse (\(error)): \(rendered.debugDescription) from \(line.debugDescription)")
        }
        guard again == key else {
            fatalError("round trip changed the key: \(rendered.debugDescription) from \(line.debugDescription)")
        }
        guard again.rendered.utf8.elementsEqual(rendered.utf8) else {
            fatalError("rendered is not a fixed point: \(rendered.debugDescription) -> \(again.rendered.debugDescription)")
        }
        guard key.rendered(options: "restrict").utf8.elementsEqual(("restrict " + rendered).utf8) else {
            fatalError("rendered(options:) is not options + space + rendered")
        }
    }
    return 0
}

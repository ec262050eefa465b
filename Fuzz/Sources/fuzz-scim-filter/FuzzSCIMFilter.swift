// libFuzzer target: the SCIM filter parser (RFC 7644 §3.4.2.2) on one arbitrary string, as it
// arrives in `?filter=` from any IdP or node, then validation and evaluation against real resources.
//
// Properties checked besides "no crash": a refusal is a 400 `invalidFilter` whose detail has no
// control character (details reach SCIM responses and logs); an accepted filter evaluates against a
// user and a group without trapping, whether or not it validates for their types.
import SCIMProtocol

let user = try! JSONValue.parse(Array("""
    {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser"],
     "id":"2819c223","userName":"ada@example.com","active":true,"displayName":"Ada","externalId":"00u1",
     "name":{"givenName":"Ada","familyName":"Lovelace"},"emails":[{"value":"ada@example.com","primary":true,"type":"work"}],
     "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser":{"sunkPosixUsername":"ada","sunkPosixUserId":100001,
     "sunkSshKeys":["ssh-ed25519 AAAA ada@laptop"]},"meta":{"resourceType":"User","lastModified":"2026-11-29T10:00:00Z"}}
    """.utf8))
let group = try! JSONValue.parse(Array("""
    {"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"e9e3","displayName":"HPC Research (EU)",
     "members":[{"value":"2819c223","display":"ada"}]}
    """.utf8))

func checkDetail(_ error: SCIMError, _ input: String) {
    guard error.status == 400 else { fatalError("filter refused with status \(error.status): \(input.debugDescription)") }
    for u in error.detail.unicodeScalars where u.value < 0x20 || (0x7F...0x9F).contains(u.value) {
        fatalError("error detail has control character U+\(String(u.value, radix: 16)): \(error.detail.debugDescription)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let filter: SCIMFilter
    do throws(SCIMError) {
        filter = try SCIMFilter.parse(text)
    } catch {
        checkDetail(error, text)
        return 0
    }
    for (resource, type) in [(user, SCIMResourceType.user), (group, SCIMResourceType.group)] {
        do throws(SCIMError) {
            try filter.validate(for: type)
        } catch {
            checkDetail(error, text)
        }
        _ = filter.matches(resource, type: type)
    }
    return 0
}

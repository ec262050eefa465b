// libFuzzer target: the SCIM PATCH engine (RFC 7644 §3.5.2) on one arbitrary request body: JSON
// parsing, the operations' paths and values, and their application to a real user and group.
//
// Properties checked besides "no crash": every refusal is a 4xx SCIMError whose detail has no control
// character; an accepted PATCH yields a JSON object that serialises and parses back to itself.
import SCIMProtocol

let user = try! JSONValue.parse(Array("""
    {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser"],
     "id":"2819c223","userName":"ada@example.com","active":true,"displayName":"Ada",
     "name":{"givenName":"Ada","familyName":"Lovelace"},"emails":[{"value":"ada@example.com","primary":true,"type":"work"}],
     "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser":{"sunkPosixUsername":"ada","sunkSshKeys":["ssh-ed25519 AAAA a"]}}
    """.utf8))
let group = try! JSONValue.parse(Array("""
    {"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"e9e3","displayName":"HPC",
     "members":[{"value":"2819c223","display":"ada"},{"value":"77aa","display":"bob"}]}
    """.utf8))

func checkRefusal(_ error: SCIMError) {
    guard (400..<500).contains(error.status) else { fatalError("PATCH refused with status \(error.status): \(error.detail)") }
    for u in error.detail.unicodeScalars where u.value < 0x20 || (0x7F...0x9F).contains(u.value) {
        fatalError("error detail has control character U+\(String(u.value, radix: 16)): \(error.detail.debugDescription)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body: JSONValue
    let operations: [PatchOperation]
    do throws(SCIMError) {
        body = try JSONValue.parse(Array(UnsafeBufferPointer(start: data, count: size)))
        operations = try PatchRequest.parse(body)
    } catch {
        checkRefusal(error)
        return 0
    }
    for (resource, type) in [(user, SCIMResourceType.user), (group, SCIMResourceType.group)] {
        do throws(SCIMError) {
            let patched = try applyPatch(operations, to: resource, type: type)
            guard case .object = patched else { fatalError("PATCH produced a non-object: \(patched)") }
            let again: JSONValue
            do throws(SCIMError) { again = try JSONValue.parse(patched.serialized()) } catch {
                fatalError("the patched resource does not parse back: \(error)")
            }
            guard again == patched else { fatalError("the patched resource changed through JSON") }
        } catch {
            checkRefusal(error)
        }
    }
    return 0
}

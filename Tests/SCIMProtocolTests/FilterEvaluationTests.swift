import Testing
@testable import SCIMProtocol

let adaStored = j(#"""
{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser"],
 "id":"ID1","externalId":"00u1A2b","userName":"Ada.Lovelace@Example.com","displayName":"Ada Lovelace",
 "name":{"givenName":"Ada","familyName":"Lovelace"},"active":true,"title":"",
 "emails":[{"value":"ada@example.com","type":"work","primary":true},{"value":"ada@home.example","type":"home"}],
 "meta":{"resourceType":"User","created":"2026-11-29T10:00:00Z","lastModified":"2026-11-29T12:00:00Z"},
 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Research","manager":{"value":"ID4"}},
 "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser":{"sunkPosixUsername":"ada","sunkPosixUserId":100001,
   "sunkSshKeys":["ssh-ed25519 AAAA ada@laptop","ssh-ed25519 BBBB ada@desk"]}}
"""#)

let groupStored = j(#"""
{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"ID2","displayName":"HPC Research",
 "members":[{"value":"ID1","display":"ada"},{"value":"ID3"}]}
"""#)

@Suite struct FilterEvaluationTests {
    @Test(arguments: [
        // userName and displayName: case-insensitive
        (#"userName eq "ada.lovelace@example.com""#, true),
        (#"USERNAME EQ "ADA.LOVELACE@EXAMPLE.COM""#, true),
        (#"userName ne "ada.lovelace@example.com""#, false),
        (#"userName ne "someone""#, true),
        (#"userName co "LOVELACE""#, true),
        (#"userName sw "ada.""#, true),
        (#"userName sw "lovelace""#, false),
        (#"userName ew "EXAMPLE.COM""#, true),
        (#"userName gt "ada""#, true),
        (#"userName ge "ada.lovelace@example.com""#, true),
        (#"userName lt "ada""#, false),
        (#"userName le "b""#, true),
        (#"displayName eq "ada lovelace""#, true),
        // id and externalId: caseExact
        (#"id eq "ID1""#, true),
        (#"id eq "id1""#, false),
        (#"externalId eq "00u1A2b""#, true),
        (#"externalId eq "00U1a2B""#, false),
        (#"urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser:sunkPosixUsername eq "ADA""#, false),
        (#"urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser:sunkPosixUsername eq "ada""#, true),
        // numbers
        ("urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser:sunkPosixUserId eq 100001", true),
        ("urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser:sunkPosixUserId eq 100001.0", true),
        ("urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser:sunkPosixUserId gt 100000", true),
        ("urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser:sunkPosixUserId lt 100001", false),
        ("urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser:sunkPosixUserId le 100001", true),
        // booleans: eq/ne only
        ("active eq true", true),
        ("active eq false", false),
        ("active ne false", true),
        ("active gt false", false),
        // multi-valued
        (#"emails.value eq "ADA@home.example""#, true),
        (#"emails.value eq "nobody@example.com""#, false),
        (#"emails.type eq "home""#, true),
        (#"emails co "home.example""#, true),
        (#"urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser:sunkSshKeys ew "ada@desk""#, true),
        (#"emails[type eq "work" and value co "@example.com"]"#, true),
        (#"emails[type eq "home" and primary eq true]"#, false),
        (#"emails[not (type eq "work")]"#, true),
        // presence
        ("title pr", false),
        ("displayName pr", true),
        ("nickName pr", false),
        ("emails pr", true),
        ("name.givenName pr", true),
        ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager pr", true),
        // sub-attributes and extensions
        (#"name.familyName eq "lovelace""#, true),
        (#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "research""#, true),
        (#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "ID4""#, true),
        (#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "ADA""#, true),
        // dateTime as strings
        (#"meta.lastModified gt "2026-11-29T11:00:00Z""#, true),
        (#"meta.lastModified gt "2026-11-29T13:00:00Z""#, false),
        (#"meta.created le "2026-11-29T10:00:00Z""#, true),
        // null and absent
        ("nickName eq null", true),
        ("displayName eq null", false),
        (#"nickName ne "x""#, true),
        (#"nickName eq "x""#, false),
        // logic
        (#"userName eq "x" or active eq true"#, true),
        (#"userName eq "x" or active eq true and title pr"#, false),
        (#"not (userName eq "x")"#, true),
        (#"(userName eq "x" or displayName sw "ada") and emails[type eq "work"]"#, true),
    ])
    func userFilters(_ text: String, _ expected: Bool) throws {
        let f = try SCIMFilter.parse(text)
        #expect(f.matches(adaStored, type: .user) == expected)
    }

    @Test(arguments: [
        (#"displayName eq "hpc research""#, true),
        (#"members eq "ID3""#, true),
        (#"members eq "id3""#, false),
        (#"members.value eq "ID1""#, true),
        (#"members[value eq "ID9"]"#, false),
        (#"members[display eq "ADA"]"#, true),
        (#"members eq "ID9""#, false),
    ])
    func groupFilters(_ text: String, _ expected: Bool) throws {
        #expect(try SCIMFilter.parse(text).matches(groupStored, type: .group) == expected)
    }

    @Test func existenceCheckFixture() throws {
        // okta/01-existence-check.txt, decoded query parameter.
        let f = try SCIMFilter.parse(#"userName eq "ada.lovelace@example.com""#)
        #expect(f.matches(adaStored, type: .user))
        #expect(!f.matches(j(#"{"userName":"bob@example.com"}"#), type: .user))
    }
}

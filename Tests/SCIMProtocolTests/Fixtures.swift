import Foundation
import Testing
@testable import SCIMProtocol

/// The request bodies of shared/fixtures (beside the repository), embedded so the tests are
/// hermetic. `fixturesMatchSharedFiles` checks that the copies have not drifted from the files.
enum Fixture {
    static let oktaCreateUser = #"""
    {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser"],
     "userName":"ada.lovelace@example.com","name":{"givenName":"Ada","familyName":"Lovelace"},
     "emails":[{"primary":true,"value":"ada.lovelace@example.com","type":"work"}],"displayName":"Ada Lovelace","locale":"en-US",
     "externalId":"00u1a2b3c4d5e6f7g8h9","groups":[],"password":"xY7!okta-generated","active":true,
     "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser":{
       "sunkSshKeys":["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILQwuexkUkfmgaRc8TfBKQn5whYd06jzr41VYHQrQER8 ada@laptop"],
       "sunkPosixUsername":"ada","sunkPreferredHomeDirectory":"/home/ada","sunkPosixGroupId":100000.0,"sunkPosixUserId":100001.0,
       "sunkLoginShell":"/bin/bash"}}
    """#
    static let oktaPutUser = #"""
    {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser"],
     "id":"ID1","userName":"ada.lovelace@example.com","name":{"givenName":"Ada","familyName":"Lovelace"},
     "emails":[{"primary":true,"value":"ada.lovelace@example.com","type":"work"}],"displayName":"Ada Lovelace","locale":"en-US",
     "externalId":"00u1a2b3c4d5e6f7g8h9","active":true,
     "meta":{"resourceType":"User","created":"2026-11-29T10:00:00Z","lastModified":"2026-11-29T10:00:00Z"},
     "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser":{
       "sunkSshKeys":["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIz6zHYlXGeB8NN5UU3SUvght5G5UOaU8wPmzfTjMd9e ada@workstation"],
       "sunkPosixUsername":"ada","sunkPreferredHomeDirectory":"/home/ada","sunkPosixGroupId":100000,"sunkPosixUserId":100001,
       "sunkLoginShell":"/bin/zsh"}}
    """#
    static let oktaDeactivate = #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}"#
    static let oktaGroupCreate = #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"hpc-research","members":[]}"#
    static let oktaGroupMembers = #"""
    {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
      {"op":"remove","path":"members[value eq \"ID3\"]"},
      {"op":"add","path":"members","value":[{"value":"ID1","display":"ada.lovelace@example.com"}]}]}
    """#
    static let oktaGroupRename = #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"id":"ID2","displayName":"hpc-research-2027"}}]}"#
    static let oktaGroupReplaceEmpty = #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"members","value":[]}]}"#
    static let entraDisable = #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}"#
    static let entraMultiReplace = #"""
    {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
      {"op":"Replace","path":"emails[type eq \"work\"].value","value":"ada@example.org"},
      {"op":"Replace","path":"name.familyName","value":"King"},
      {"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"1815"},
      {"op":"Replace","path":"urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser:sunkLoginShell","value":"/bin/bash"}]}
    """#
    static let entraPathlessDotted = #"""
    {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{
      "name.givenName":"Augusta","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Research","active":true}}]}
    """#
    static let entraRemoveMemberLegacy = #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"value":"ID3"}]}]}"#
    static let entraManagerBare = #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"ID4"}]}"#

    static let byFile: [(String, String)] = [
        ("okta/02-create-user.json", oktaCreateUser), ("okta/03-put-user.json", oktaPutUser),
        ("okta/04-deactivate.json", oktaDeactivate), ("okta/05-group-create.json", oktaGroupCreate),
        ("okta/06-group-members.json", oktaGroupMembers), ("okta/07-group-rename.json", oktaGroupRename),
        ("okta/08-group-replace-empty.json", oktaGroupReplaceEmpty), ("entra/01-disable.json", entraDisable),
        ("entra/02-multi-replace.json", entraMultiReplace), ("entra/03-pathless-dotted.json", entraPathlessDotted),
        ("entra/04-remove-member-legacy.json", entraRemoveMemberLegacy), ("entra/05-manager-bare.json", entraManagerBare),
    ]
}

/// SUNK_BRIDGE_FIXTURES, else shared/fixtures beside the repository (CI lays shared/ there), else
/// the workplace's /work/shared/fixtures.
func sharedFixturesDirectory(file: String = #filePath) -> String? {
    let repository = URL(fileURLWithPath: file).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let candidates: [String?] = [ProcessInfo.processInfo.environment["SUNK_BRIDGE_FIXTURES"],
                      repository.deletingLastPathComponent().appendingPathComponent("shared/fixtures").path,
                      "/work/shared/fixtures"]
    return candidates.compactMap { $0 }.first { FileManager.default.fileExists(atPath: $0 + "/okta") }
}

@Test(arguments: Fixture.byFile.map(\.0))
func fixturesMatchSharedFiles(_ name: String) throws {
    let directory = try #require(sharedFixturesDirectory(),
        "shared/fixtures is not beside the repository: set SUNK_BRIDGE_FIXTURES to its path to check the embedded copies")
    let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
    let embedded = try #require(Fixture.byFile.first { $0.0 == name }).1
    #expect(try JSONValue.parse([UInt8](data)) == j(embedded))
}

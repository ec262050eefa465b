import SCIMProtocol

/// The request bodies of ../shared/fixtures (Okta and Entra wire shapes), embedded so the tests
/// run from a fresh clone. `ID1`… placeholders become the ids the server assigned.
enum Fixtures {
    /// okta/02-create-user.json
    static let oktaCreateUser = json("""
        {
          "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser"
          ],
          "userName": "ada.lovelace@example.com",
          "name": {"givenName": "Ada", "familyName": "Lovelace"},
          "emails": [{"primary": true, "value": "ada.lovelace@example.com", "type": "work"}],
          "displayName": "Ada Lovelace",
          "locale": "en-US",
          "externalId": "00u1a2b3c4d5e6f7g8h9",
          "groups": [],
          "password": "xY7!okta-generated",
          "active": true,
          "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser": {
            "sunkSshKeys": [
              "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILQwuexkUkfmgaRc8TfBKQn5whYd06jzr41VYHQrQER8 ada@laptop"
            ],
            "sunkPosixUsername": "ada",
            "sunkPreferredHomeDirectory": "/home/ada",
            "sunkPosixGroupId": 100000.0,
            "sunkPosixUserId": 100001.0,
            "sunkLoginShell": "/bin/bash"
          }
        }
        """)

    /// okta/03-put-user.json with the id the server assigned.
    static func oktaPutUser(id: String) -> JSONValue {
        json("""
            {
              "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser"
              ],
              "id": \(quoted(id)),
              "userName": "ada.lovelace@example.com",
              "name": {"givenName": "Ada", "familyName": "Lovelace"},
              "emails": [{"primary": true, "value": "ada.lovelace@example.com", "type": "work"}],
              "displayName": "Ada Lovelace",
              "locale": "en-US",
              "externalId": "00u1a2b3c4d5e6f7g8h9",
              "active": true,
              "meta": {
                "resourceType": "User",
                "created": "2026-11-29T10:00:00Z",
                "lastModified": "2026-11-29T10:00:00Z"
              },
              "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser": {
                "sunkSshKeys": [
                  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIz6zHYlXGeB8NN5UU3SUvght5G5UOaU8wPmzfTjMd9e ada@workstation"
                ],
                "sunkPosixUsername": "ada",
                "sunkPreferredHomeDirectory": "/home/ada",
                "sunkPosixGroupId": 100000,
                "sunkPosixUserId": 100001,
                "sunkLoginShell": "/bin/zsh"
              }
            }
            """)
    }

    /// okta/04-deactivate.json
    static let oktaDeactivate = json("""
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
         "Operations": [{"op": "replace", "value": {"active": false}}]}
        """)

    /// The same, reactivating.
    static let oktaReactivate = json("""
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
         "Operations": [{"op": "replace", "value": {"active": true}}]}
        """)

    /// okta/05-group-create.json
    static let oktaGroupCreate = json("""
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "hpc-research", "members": []}
        """)

    /// okta/06-group-members.json: remove ID3 by filter, add ID1, in one request.
    static func oktaGroupMembers(remove: String, add: String) -> JSONValue {
        json("""
            {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [
               {"op": "remove", "path": "members[value eq \\"\(remove)\\"]"},
               {"op": "add", "path": "members", "value": [{"value": \(quoted(add)), "display": "ada.lovelace@example.com"}]}
             ]}
            """)
    }

    /// okta/07-group-rename.json
    static func oktaGroupRename(id: String, to name: String = "hpc-research-2027") -> JSONValue {
        json("""
            {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [{"op": "replace", "value": {"id": \(quoted(id)), "displayName": \(quoted(name))}}]}
            """)
    }

    /// okta/08-group-replace-empty.json
    static let oktaGroupReplaceEmpty = json("""
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
         "Operations": [{"op": "replace", "path": "members", "value": []}]}
        """)

    /// entra/01-disable.json
    static let entraDisable = json("""
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
         "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}
        """)

    /// entra/02-multi-replace.json
    static let entraMultiReplace = json("""
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
         "Operations": [
           {"op": "Replace", "path": "emails[type eq \\"work\\"].value", "value": "ada@example.org"},
           {"op": "Replace", "path": "name.familyName", "value": "King"},
           {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "1815"},
           {"op": "Replace", "path": "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser:sunkLoginShell", "value": "/bin/bash"}
         ]}
        """)

    /// entra/03-pathless-dotted.json
    static let entraPathlessDotted = json("""
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
         "Operations": [{"op": "replace", "value": {
           "name.givenName": "Augusta",
           "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Research",
           "active": true}}]}
        """)

    /// entra/04-remove-member-legacy.json
    static func entraRemoveMemberLegacy(_ ids: String...) -> JSONValue {
        let values = ids.map { "{\"value\": \(quoted($0))}" }.joined(separator: ",")
        return json("""
            {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [{"op": "Remove", "path": "members", "value": [\(values)]}]}
            """)
    }

    /// entra/05-manager-bare.json
    static func entraManagerBare(manager: String) -> JSONValue {
        json("""
            {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [{"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": \(quoted(manager))}]}
            """)
    }
}

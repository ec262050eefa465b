/// The schemas this service publishes (RFC 7643 §4 and §8.7, plus the CoreWeave extension).
extension SCIMSchema {
    /// A multi-valued complex attribute with the usual value/display/type/primary sub-attributes.
    private static func plural(_ name: String, _ description: String, valueType: SCIMAttribute.DataType = .string,
                               types: [String] = [], referenceTypes: [String] = []) -> SCIMAttribute {
        SCIMAttribute(name, type: .complex, multiValued: true, subAttributes: [
            SCIMAttribute("value", type: valueType, referenceTypes: referenceTypes,
                          description: "The attribute's significant value."),
            SCIMAttribute("display", description: "A human-readable name, primarily used for display purposes."),
            SCIMAttribute("type", canonicalValues: types, description: "A label indicating the attribute's function."),
            SCIMAttribute("primary", type: .boolean,
                          description: "Indicates the preferred value; at most one element is primary."),
        ], description: description, maxValues: SCIMAttribute.defaultMaxValues)
    }

    /// `id`, `externalId` and `meta`: attributes every resource has (RFC 7643 §3.1).
    public static let commonAttributes: [SCIMAttribute] = [
        SCIMAttribute("id", caseExact: true, mutability: .readOnly, returned: .always, uniqueness: .server,
                      description: "Unique identifier for the resource, assigned by the service provider."),
        SCIMAttribute("externalId", caseExact: true,
                      description: "Identifier of the resource in the provisioning client's domain."),
        SCIMAttribute("meta", type: .complex, mutability: .readOnly, subAttributes: [
            SCIMAttribute("resourceType", caseExact: true, mutability: .readOnly, description: "The resource type name."),
            SCIMAttribute("created", type: .dateTime, mutability: .readOnly, description: "When the resource was added."),
            SCIMAttribute("lastModified", type: .dateTime, mutability: .readOnly,
                          description: "When the resource was last modified."),
            SCIMAttribute("location", type: .reference, caseExact: true, mutability: .readOnly,
                          referenceTypes: ["uri"], description: "The URI of the resource."),
            SCIMAttribute("version", caseExact: true, mutability: .readOnly, description: "The resource's entity tag."),
        ], description: "Resource metadata."),
    ]

    /// Core User (`urn:ietf:params:scim:schemas:core:2.0:User`).
    public static let user = SCIMSchema(id: SCIMSchemaURN.user, name: "User", description: "User Account", attributes: [
        SCIMAttribute("userName", required: true, uniqueness: .server,
                      description: "Unique identifier for the User, typically the sign-in name. Case-insensitive."),
        SCIMAttribute("name", type: .complex, subAttributes: [
            SCIMAttribute("formatted", description: "The full name, formatted for display."),
            SCIMAttribute("familyName", description: "The family name (last name)."),
            SCIMAttribute("givenName", description: "The given name (first name)."),
            SCIMAttribute("middleName", description: "The middle name(s)."),
            SCIMAttribute("honorificPrefix", description: "Honorific prefix, e.g. 'Ms.'."),
            SCIMAttribute("honorificSuffix", description: "Honorific suffix, e.g. 'III'."),
        ], description: "The components of the user's real name."),
        SCIMAttribute("displayName", description: "The name of the User, suitable for display to end-users."),
        SCIMAttribute("nickName", description: "The casual way to address the user."),
        SCIMAttribute("profileUrl", type: .reference, referenceTypes: ["external"],
                      description: "A URI pointing to the user's online profile."),
        SCIMAttribute("title", description: "The user's title, such as 'Vice President'."),
        SCIMAttribute("userType", description: "The relationship between the organization and the user."),
        SCIMAttribute("preferredLanguage", description: "The user's preferred written or spoken language."),
        SCIMAttribute("locale", description: "The user's default location, e.g. 'en-US'."),
        SCIMAttribute("timezone", description: "The user's time zone in IANA format, e.g. 'Europe/Paris'."),
        SCIMAttribute("active", type: .boolean, description: "The user's administrative status."),
        SCIMAttribute("password", mutability: .writeOnly, returned: .never,
                      description: "Accepted for compatibility; never stored or returned by this service."),
        plural("emails", "Email addresses for the user.", types: ["work", "home", "other"]),
        plural("phoneNumbers", "Phone numbers for the user.", types: ["work", "home", "mobile", "fax", "pager", "other"]),
        plural("ims", "Instant messaging addresses for the user.",
               types: ["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]),
        plural("photos", "URLs of photos of the user.", valueType: .reference, types: ["photo", "thumbnail"],
               referenceTypes: ["external"]),
        SCIMAttribute("addresses", type: .complex, multiValued: true, subAttributes: [
            SCIMAttribute("formatted", description: "The full mailing address, formatted for display."),
            SCIMAttribute("streetAddress", description: "The full street address component."),
            SCIMAttribute("locality", description: "The city or locality component."),
            SCIMAttribute("region", description: "The state or region component."),
            SCIMAttribute("postalCode", description: "The zip code or postal code component."),
            SCIMAttribute("country", description: "The country name component (ISO 3166-1 alpha-2)."),
            SCIMAttribute("type", canonicalValues: ["work", "home", "other"], description: "The kind of address."),
            SCIMAttribute("primary", type: .boolean, description: "Indicates the preferred address."),
        ], description: "A physical mailing address for this user.", maxValues: SCIMAttribute.defaultMaxValues),
        SCIMAttribute("groups", type: .complex, multiValued: true, mutability: .readOnly, subAttributes: [
            SCIMAttribute("value", mutability: .readOnly, description: "The id of the Group."),
            SCIMAttribute("$ref", type: .reference, mutability: .readOnly, referenceTypes: ["Group"],
                          description: "The URI of the Group."),
            SCIMAttribute("display", mutability: .readOnly, description: "The Group's displayName."),
            SCIMAttribute("type", mutability: .readOnly, canonicalValues: ["direct", "indirect"],
                          description: "How the membership was derived."),
        ], description: "Groups the user belongs to; read-only, managed through /Groups."),
        plural("entitlements", "Entitlements of the user."),
        plural("roles", "Roles of the user."),
        plural("x509Certificates", "X.509 certificates of the user.", valueType: .binary),
    ])

    /// Core Group (`urn:ietf:params:scim:schemas:core:2.0:Group`).
    public static let group = SCIMSchema(id: SCIMSchemaURN.group, name: "Group", description: "Group", attributes: [
        SCIMAttribute("displayName", required: true,
                      description: "A human-readable name for the Group; the POSIX group name is derived from it."),
        SCIMAttribute("members", type: .complex, multiValued: true, subAttributes: [
            SCIMAttribute("value", caseExact: true, mutability: .immutable, description: "The id of the member User."),
            SCIMAttribute("$ref", type: .reference, mutability: .immutable, referenceTypes: ["User", "Group"],
                          description: "The URI of the member."),
            SCIMAttribute("display", mutability: .immutable, description: "A human-readable name of the member."),
            SCIMAttribute("type", mutability: .immutable, canonicalValues: ["User", "Group"],
                          description: "The member's type. Only users are supported (no nested groups)."),
        ], description: "A list of members of the Group. Only users; nested groups are refused."),
    ])

    /// Enterprise User extension (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`).
    public static let enterpriseUser = SCIMSchema(id: SCIMSchemaURN.enterpriseUser, name: "EnterpriseUser",
                                                  description: "Enterprise User", attributes: [
        SCIMAttribute("employeeNumber", description: "Numeric or alphanumeric identifier assigned by the organization."),
        SCIMAttribute("costCenter", description: "Identifies the name of a cost center."),
        SCIMAttribute("organization", description: "Identifies the name of an organization."),
        SCIMAttribute("division", description: "Identifies the name of a division."),
        SCIMAttribute("department", description: "Identifies the name of a department."),
        SCIMAttribute("manager", type: .complex, subAttributes: [
            SCIMAttribute("value", description: "The id of the SCIM resource representing the user's manager."),
            SCIMAttribute("$ref", type: .reference, referenceTypes: ["User"], description: "The URI of the manager."),
            SCIMAttribute("displayName", mutability: .readOnly, description: "The displayName of the manager."),
        ], description: "The user's manager. A bare id string is accepted and stored as {\"value\": id}."),
    ])

    /// The CoreWeave POSIX extension (`urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser`).
    public static let coreWeaveUser = SCIMSchema(
        id: SCIMSchemaURN.coreWeaveUser, name: "CoreWeaveUser",
        description: "POSIX account and SSH access on SUNK (Slurm on Kubernetes) clusters.", attributes: [
        SCIMAttribute("sunkSshKeys", multiValued: true, caseExact: true,
                      description: "OpenSSH public keys allowed to log in, one per element in authorized_keys form "
                        + "('type base64 [comment]'). Types: ssh-ed25519, ecdsa-sha2-nistp256/384/521, "
                        + "sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com, ssh-rsa of 2048-16384 bits. "
                        + "Options and certificates are refused; at most 32 keys."),
        SCIMAttribute("sunkPosixUsername", caseExact: true, uniqueness: .server,
                      description: "The POSIX login name. Lowercase, starting with a letter or '_', then letters, digits, "
                        + "'_' or '-', at most 32 characters; not a reserved system name; unique in the organization. "
                        + "When absent it is derived from the local part of userName if that is valid."),
        SCIMAttribute("sunkPreferredHomeDirectory", caseExact: true,
                      description: "Absolute, normalised home directory strictly below an allowed prefix (default /home), "
                        + "without ':' or control characters, unique and not inside another user's home. "
                        + "Default: PREFIX/username."),
        SCIMAttribute("sunkLoginShell", caseExact: true,
                      description: "Absolute path of the login shell; must be in the configured allowlist "
                        + "(sh, bash, dash, zsh, ksh, csh, tcsh, fish under /bin and /usr/bin, or a nologin shell). "
                        + "Default: /bin/bash."),
        SCIMAttribute("sunkPosixUserId", type: .integer, uniqueness: .server,
                      description: "The numeric user id (uid). A whole number within the configured range "
                        + "(default 10000-2147483647, excluding 60000-65535), unique in the organization. "
                        + "Allocated by the service when absent."),
        SCIMAttribute("sunkPosixGroupId", type: .integer,
                      description: "The numeric id of the user's primary group (gid), with the same range rules as "
                        + "sunkPosixUserId. When absent a user-private group with gid = uid is used."),
    ])
}

/// A schema extension of a resource type and whether resources must carry it.
public struct SCIMSchemaExtension: Sendable, Hashable {
    public var schema: SCIMSchema
    public var required: Bool
    public init(schema: SCIMSchema, required: Bool = false) { self.schema = schema; self.required = required }
}

/// Where a path points in a stored resource document.
public struct ResolvedAttribute: Sendable, Hashable {
    /// The extension URN (canonical spelling) whose object holds the attribute; `nil` for core and
    /// common attributes, which live at the top level.
    public var extensionURN: String?
    /// The attribute definition.
    public var attribute: SCIMAttribute
    /// The sub-attribute definition, when the path names one.
    public var subAttribute: SCIMAttribute?

    /// The definition that governs the addressed value (the sub-attribute when there is one).
    public var target: SCIMAttribute { subAttribute ?? attribute }
    /// A human-readable name for details: `name` or `name.sub`.
    public var displayName: String { attribute.name + (subAttribute.map { "." + $0.name } ?? "") }
}

/// A resource type (RFC 7643 §6): its endpoint, core schema and extensions.
public struct SCIMResourceType: Sendable, Hashable {
    public var name: String
    public var endpoint: String
    public var description: String
    public var schema: SCIMSchema
    public var extensions: [SCIMSchemaExtension]
    /// Other URNs accepted in an input `schemas` array and otherwise ignored.
    public var toleratedSchemaURNs: [String]

    public init(name: String, endpoint: String, description: String, schema: SCIMSchema,
                extensions: [SCIMSchemaExtension], toleratedSchemaURNs: [String] = []) {
        self.name = name; self.endpoint = endpoint; self.description = description; self.schema = schema
        self.extensions = extensions; self.toleratedSchemaURNs = toleratedSchemaURNs
    }

    /// Users: core User with the Enterprise and CoreWeave extensions (both optional).
    public static let user = SCIMResourceType(
        name: "User", endpoint: "/Users", description: "User Account", schema: .user,
        extensions: [SCIMSchemaExtension(schema: .enterpriseUser), SCIMSchemaExtension(schema: .coreWeaveUser)])

    /// Groups: core Group, no extension; Entra's Microsoft group URN is tolerated in `schemas`.
    public static let group = SCIMResourceType(
        name: "Group", endpoint: "/Groups", description: "Group", schema: .group, extensions: [],
        toleratedSchemaURNs: [SCIMSchemaURN.microsoftGroup])

    /// The `/ResourceTypes/{name}` representation.
    public func json(baseURL: String) -> JSONValue {
        .object([
            "schemas": .array([.string(SCIMSchemaURN.resourceType)]),
            "id": .string(name),
            "name": .string(name),
            "endpoint": .string(endpoint),
            "description": .string(description),
            "schema": .string(schema.id),
            "schemaExtensions": .array(extensions.map {
                .object(["schema": .string($0.schema.id), "required": .bool($0.required)])
            }),
            "meta": .object([
                "resourceType": .string("ResourceType"),
                "location": .string(joinURL(baseURL, "ResourceTypes", name)),
            ]),
        ])
    }

    /// Core and common attributes, i.e. those stored at the top level.
    public var topLevelAttributes: [SCIMAttribute] { SCIMSchema.commonAttributes + schema.attributes }

    /// The top-level attribute named `name` (case-insensitive).
    func topLevelAttribute(_ name: String) -> SCIMAttribute? {
        let l = name.lowercased()
        return topLevelAttributes.first { $0.name.lowercased() == l }
    }

    /// The extension whose URN is `urn` (case-insensitive).
    public func extensionSchema(urn: String) -> SCIMSchema? {
        let l = urn.lowercased()
        return extensions.first { $0.schema.id.lowercased() == l }?.schema
    }

    /// The extension a path names as a whole (`urn:…:CoreWeaveUser`), if any.
    public func extensionSchema(named path: AttributePath) -> SCIMSchema? {
        guard path.subAttribute == nil, let urn = path.schemaURN else { return nil }
        return extensionSchema(urn: urn + ":" + path.name)
    }

    /// `true` when `urn` is this type's core schema URN (case-insensitive).
    /// True when `urn` is this type's core schema URN (compared case-insensitively).
    public func isCoreURN(_ urn: String) -> Bool { urn.lowercased() == schema.id.lowercased() }

    /// Resolves a path to its definition and location. Unqualified names refer to the core schema
    /// and common attributes; URN-qualified names to the core schema or one of the extensions.
    /// Names are matched case-insensitively. Returns `nil` for unknown attributes.
    public func resolve(_ path: AttributePath) -> ResolvedAttribute? {
        var ext: String?
        let attr: SCIMAttribute?
        if let urn = path.schemaURN, !isCoreURN(urn) {
            guard let s = extensionSchema(urn: urn) else { return nil }
            ext = s.id
            attr = s.attribute(path.name)
        } else {
            attr = topLevelAttribute(path.name)
        }
        guard let attr else { return nil }
        var sub: SCIMAttribute?
        if let s = path.subAttribute {
            guard attr.type == .complex, let found = attr.subAttribute(s) else { return nil }
            sub = found
        }
        return ResolvedAttribute(extensionURN: ext, attribute: attr, subAttribute: sub)
    }

    /// The definition of the attribute (or sub-attribute) a path names, or `nil` when unknown.
    public func attribute(for path: AttributePath) -> SCIMAttribute? { resolve(path)?.target }

    /// All schema URNs of this type: core first, then extensions.
    public var schemaURNs: [String] { [schema.id] + extensions.map(\.schema.id) }
}

/// The `/ServiceProviderConfig` document (RFC 7643 §5).
public enum ServiceProviderConfig {
    /// A truthful configuration: PATCH and filtering supported, no bulk, sort or password change,
    /// ETags supported, OAuth bearer tokens.
    public static func json(baseURL: String, maxResults: Int, maxPayloadSize: Int) -> JSONValue {
        .object([
            "schemas": .array([.string(SCIMSchemaURN.serviceProviderConfig)]),
            "patch": .object(["supported": .bool(true)]),
            "bulk": .object(["supported": .bool(false), "maxOperations": .int(0),
                             "maxPayloadSize": .int(Int64(maxPayloadSize))]),
            "filter": .object(["supported": .bool(true), "maxResults": .int(Int64(maxResults))]),
            "changePassword": .object(["supported": .bool(false)]),
            "sort": .object(["supported": .bool(false)]),
            "etag": .object(["supported": .bool(true)]),
            // RFC 9865: cursors on /Users, /Groups and the node view; index paging stays the default.
            "pagination": .object([
                "cursor": .bool(true), "index": .bool(true), "defaultPaginationMethod": .string("index"),
                "defaultPageSize": .int(Int64(maxResults)), "maxPageSize": .int(Int64(maxResults)),
                "cursorTimeout": .int(600),
            ]),
            "authenticationSchemes": .array([.object([
                "type": .string("oauthbearertoken"),
                "name": .string("OAuth Bearer Token"),
                "description": .string("Authentication with a bearer token issued by the SUNK Bridge operator "
                                       + "(Authorization: Bearer TOKEN)."),
                "primary": .bool(true),
            ])]),
            "meta": .object([
                "resourceType": .string("ServiceProviderConfig"),
                "location": .string(joinURL(baseURL, "ServiceProviderConfig")),
            ]),
        ])
    }
}

/// Schema and message URNs used on the wire.
public enum SCIMSchemaURN {
    /// Core User (RFC 7643 §4.1).
    public static let user = "urn:ietf:params:scim:schemas:core:2.0:User"
    /// Core Group (RFC 7643 §4.2).
    public static let group = "urn:ietf:params:scim:schemas:core:2.0:Group"
    /// Enterprise User extension (RFC 7643 §4.3).
    public static let enterpriseUser = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    /// The CoreWeave POSIX extension.
    public static let coreWeaveUser = "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser"
    /// The group URN Microsoft Entra ID sometimes lists in `schemas`; tolerated on input, never emitted.
    public static let microsoftGroup = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
    /// List response message.
    public static let listResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    /// PATCH request message.
    public static let patchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    /// Error message.
    public static let error = "urn:ietf:params:scim:api:messages:2.0:Error"
    /// Search request message (POST .search).
    public static let searchRequest = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
    /// Bulk request message.
    public static let bulkRequest = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
    /// Schema representation (RFC 7643 §7).
    public static let schema = "urn:ietf:params:scim:schemas:core:2.0:Schema"
    /// Resource type representation (RFC 7643 §6).
    public static let resourceType = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
    /// Service provider configuration (RFC 7643 §5).
    public static let serviceProviderConfig = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
}

/// The list response of a query (RFC 7644 §3.4.2).
public enum ListResponse {
    /// `{"schemas":[ListResponse], "totalResults", "startIndex", "itemsPerPage", "Resources"}` with
    /// JSON integers. An empty result is a normal answer (`totalResults: 0`, `Resources: []`).
    public static func json(resources: [JSONValue], totalResults: Int, startIndex: Int, itemsPerPage: Int) -> JSONValue {
        .object([
            "schemas": .array([.string(SCIMSchemaURN.listResponse)]),
            "totalResults": .int(Int64(totalResults)),
            "startIndex": .int(Int64(startIndex)),
            "itemsPerPage": .int(Int64(itemsPerPage)),
            "Resources": .array(resources),
        ])
    }
}

import SCIMProtocol
import Testing

@Suite("Server smoke")
struct SmokeTests {
    @Test("an empty org answers Okta's existence check with an empty ListResponse")
    func existenceCheck() async throws {
        try await withServer { server in
            let reply = try await server.get("/Users?filter=userName%20eq%20%22ada.lovelace%40example.com%22&startIndex=1&count=100")
            #expect(reply.status == 200)
            #expect(reply.headers.first(name: "Content-Type")?.hasPrefix("application/scim+json") == true)
            #expect(reply["totalResults"] == .int(0))
            #expect(reply["startIndex"] == .int(1))
            #expect(reply["itemsPerPage"] == .int(0))
            #expect(reply["Resources"] == .array([]))
        }
    }
}

// Regressions from the SCIM fuzz targets (Fuzz/: fuzz-scim-filter, fuzz-scim-patch): refusals that
// quoted the client's control characters into the error detail, which reaches responses and logs.
import SCIMProtocol
import Testing

@Suite("SCIM fuzz findings")
struct FuzzFindingsTests {
    static func hasControl(_ s: String) -> Bool {
        s.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }

    @Test("a filter with NUL bytes is refused with a printable detail")
    func filterDetail() {
        do {
            _ = try SCIMFilter.parse("id \0\0\0\0\0um\0\0\u{1b}9c2239c223=")
            Issue.record("accepted")
        } catch {
            #expect(error.status == 400 && error.scimType == .invalidFilter)
            #expect(!Self.hasControl(error.detail), "\(error.detail.debugDescription)")
            #expect(error.detail.contains("\\0"), "the NUL is shown escaped: \(error.detail)")
        }
    }

    @Test("a PATCH path with a tab is refused with a printable detail")
    func patchPathDetail() {
        do {
            _ = try PatchPath.parse("urn:i\tf:params:scim:schemas:extension:enterprise:2.0:User:ell")
            Issue.record("accepted")
        } catch {
            #expect(error.status == 400)
            #expect(!Self.hasControl(error.detail), "\(error.detail.debugDescription)")
            #expect(error.detail.contains("\\t"))
        }
    }
}

// doctor's check of the sudoers drop-in `sync --sudo-group` writes.
import Foundation
import NodeSync
import Testing

@Suite("doctor: sudoers")
struct DoctorSudoersTests {
    @Test("doctor: no finding without the file; ok with what it grants; FAIL when sudo would ignore it or visudo refuses it; WARN for a foreign file")
    func sudoers() async throws {
        let s = try await DoctorScratch()
        var out = s.doctor()
        #expect(out.status == 0, "\(out.stdout)")
        #expect(!out.stdout.contains("sudoers:"), "\(out.stdout)")

        try s.mkdirs("/etc/sudoers.d")
        let file = "/etc/sudoers.d/sunk-bridge"
        let rendered = String(decoding: Sudoers.render(SudoRule(groups: ["hpc-admins", "ops"], noPassword: true)), as: UTF8.self)
        s.write(file, rendered, mode: 0o440)
        out = s.doctor()
        #expect(out.status == 0, "\(out.stdout)")
        #expect(out.has("ok sudoers: ", "grants %hpc-admins (NOPASSWD), %ops (NOPASSWD)"), "\(out.stdout)")

        s.write(file, rendered, mode: 0o666)
        out = s.doctor()
        #expect(out.status == 1)
        #expect(out.has("FAIL sudoers: ", "mode 0666: sudo ignores it"), "\(out.stdout)")

        s.write(file, rendered + "%broken group ALL=(ALL:ALL) ALL\n", mode: 0o440)
        out = s.doctor()
        #expect(out.has("FAIL sudoers: ", "visudo -cf refused"), "\(out.stdout)")

        s.write(file, "%hpc-admins ALL=(ALL:ALL) ALL\n", mode: 0o440)
        out = s.doctor()
        #expect(out.status == 0)
        #expect(out.has("WARN sudoers: ", "not written by sunk-bridge"), "\(out.stdout)")
    }
}

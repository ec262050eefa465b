// `sunk-bridge doctor` as a whole: the binary's arguments and exit codes, a good node end to end,
// the trust-key check, and sshd's effective configuration through the real `sshd -T` (which needs
// a private mount namespace around the doctor process, so these run the built binary).
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The built `sunk-bridge`, and running a program to completion.
enum DoctorCLI {
    static func binary() throws -> String { try Binaries.sunkBridge() }

    /// Runs `path args…` to the end (TestSupport's spawner: safe from parallel tests).
    static func run(_ path: String, _ args: [String]) async throws -> DoctorOutput {
        let r = try await TestSupport.run(path, args, error: .separate)
        return DoctorOutput(status: r.status, stdout: r.output, stderr: r.error)
    }
}

@Suite("doctor: the command")
struct DoctorCommandTests {
    @Test("a node synced by the real sync passes every check, exit 0")
    func goodRoot() async throws {
        let s = try await DoctorScratch()
        let out = try await DoctorCLI.run(try DoctorCLI.binary(), ["doctor", "--root", s.root, "--sshd-binary", "none"])
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        for check in ["nsswitch", "nss-module", "sshd-command", "sshd-command-user", "helper", "keys-cache",
                      "node-files", "sync-state", "trust-key", "home-prefix", "id-ranges"] {
            #expect(out.has("ok \(check): "), "no ok line for \(check):\n\(out.stdout)")
        }
        #expect(out.has("ok trust-key: ", "the applied snapshot verifies"), "\(out.stdout)")
        #expect(!out.stdout.contains("FAIL") && !out.stdout.contains("WARN"), "\(out.stdout)")
        #expect(out.lines.last?.hasPrefix("doctor: ") == true && out.lines.last?.hasSuffix("0 warnings, 0 failures") == true)
    }

    @Test("bad arguments: exit 64 with the reason")
    func badArguments() async throws {
        let out = try await DoctorCLI.run(try DoctorCLI.binary(), ["doctor", "--nss-format", "ldap"])
        #expect(out.status == 64)
        #expect(out.stderr.contains("--nss-format must be one of: extrausers, cache"), "\(out.stderr)")
    }

    @Test("trust-key: missing, unparsable or for another org than the applied snapshot is a FAIL")
    func trustKey() async throws {
        let s = try await DoctorScratch()
        try FileManager.default.removeItem(atPath: s.root + "/etc/sunk-bridge/trust.pub")
        var out = s.doctor()
        #expect(out.status == 1)
        #expect(out.has("FAIL trust-key: ", "cannot be read"), "\(out.stdout)")
        #expect(out.stdout.contains("sunk-bridge org trust-key ORG"), "the fix names the command")
        s.write("/etc/sunk-bridge/trust.pub", "ssh-ed25519 AAAA default\n")
        out = s.doctor()
        #expect(out.has("FAIL trust-key: ", "line 1"), "\(out.stdout)")
        var research = DoctorSigner()
        research.org = "research"
        s.write("/etc/sunk-bridge/trust.pub", research.trustLine + "\n")
        out = s.doctor()
        #expect(out.has("FAIL trust-key: ", "keys for research", "org default"), "\(out.stdout)")
        // The org's key, but not the one that signed: the kept snapshot no longer verifies.
        s.write("/etc/sunk-bridge/trust.pub", DoctorSigner().trustLine + "\n")
        out = s.doctor()
        #expect(out.has("WARN trust-key: ", "the applied snapshot does not verify"), "\(out.stdout)")
    }
}

// `sunk-bridge doctor` as a whole: the binary's arguments and exit codes, a good node end to end,
// the trust-key check, and sshd's effective configuration through the real `sshd -T` (which needs
// a private mount namespace around the doctor process, so these run the built binary).
import Foundation
import Testing
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The built `sunk-bridge`, and running a program to completion.
enum DoctorCLI {
    /// `SUNK_BRIDGE_BIN`, else `sunk-bridge` next to the running test binary.
    static func binary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["SUNK_BRIDGE_BIN"], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw DoctorTestError(description: "SUNK_BRIDGE_BIN=\(path) is not an executable file")
            }
            return path
        }
        var dir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("sunk-bridge").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw DoctorTestError(description: "sunk-bridge not found: build it (swift build --product sunk-bridge) or set SUNK_BRIDGE_BIN")
    }

    /// Runs `path args…`; stdout and stderr through files (no pipe to drain, no EINTR to retry).
    static func run(_ path: String, _ args: [String]) throws -> DoctorOutput {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let tag = UUID().uuidString
        let outPath = NSTemporaryDirectory() + "/doctor-out-\(tag)"
        let errPath = NSTemporaryDirectory() + "/doctor-err-\(tag)"
        for file in [outPath, errPath] { _ = FileManager.default.createFile(atPath: file, contents: nil) }
        defer { for file in [outPath, errPath] { try? FileManager.default.removeItem(atPath: file) } }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try? out.close()
        try? err.close()
        func text(_ file: String) -> String { String(decoding: FileManager.default.contents(atPath: file) ?? Data(), as: UTF8.self) }
        return DoctorOutput(status: p.terminationStatus, stdout: text(outPath), stderr: text(errPath))
    }
}

@Suite("doctor: the command")
struct DoctorCommandTests {
    @Test("a node synced by the real sync passes every check, exit 0")
    func goodRoot() async throws {
        let s = try await DoctorScratch()
        let out = try DoctorCLI.run(try DoctorCLI.binary(), ["doctor", "--root", s.root, "--sshd-binary", "none"])
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
    func badArguments() throws {
        let out = try DoctorCLI.run(try DoctorCLI.binary(), ["doctor", "--nss-format", "ldap"])
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

// `sunk-bridge doctor` reading sshd's effective configuration through the real `sshd -T`.
// sshd -T wants a host key (generated here) and its privilege separation directory /run/sshd: doctor
// runs in a private mount namespace with a fresh tmpfs on /run, so the host's /run is never touched.
import Foundation
import Testing

@Suite("doctor: sshd -T (real OpenSSH)", .serialized)
struct DoctorSSHDTests {
    static let sshd = ProcessInfo.processInfo.environment["SUNK_SSHD_BIN"] ?? "/usr/sbin/sshd"

    /// A scratch root whose sshd_config has a generated host key; fails with what is missing.
    func prepared() async throws -> DoctorScratch {
        for tool in [Self.sshd, "/usr/bin/ssh-keygen", "/usr/bin/unshare"] {
            guard FileManager.default.isExecutableFile(atPath: tool) else {
                throw DoctorTestError(description: "\(tool) is missing: apt-get install openssh-server util-linux "
                                      + "(or set SUNK_SSHD_BIN) to test doctor's sshd -T path")
            }
        }
        let s = try await DoctorScratch()
        let key = s.base + "/hostkey"
        let gen = try await DoctorCLI.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key])
        guard gen.status == 0 else { throw DoctorTestError(description: "ssh-keygen failed: \(gen.stderr)") }
        return s
    }

    func config(_ s: DoctorScratch, _ body: String) {
        s.write("/etc/ssh/sshd_config", "HostKey \(s.base)/hostkey\nPidFile none\nUsePAM no\n" + body)
    }

    func doctorWithSSHD(_ s: DoctorScratch) async throws -> DoctorOutput {
        let script = "mount -t tmpfs -o mode=0755 doctor-run /run && mkdir -m 0755 /run/sshd && exec \"$@\""
        return try await DoctorCLI.run("/usr/bin/unshare", [
            "--mount", "--propagation", "private", "/bin/sh", "-c", script, "_",
            try DoctorCLI.binary(), "doctor", "--root", s.root, "--sshd-binary", Self.sshd,
        ])
    }

    @Test("good configuration: the settings come from sshd -T, exit 0")
    func good() async throws {
        let s = try await prepared()
        config(s, """
            AuthorizedKeysCommand /usr/libexec/sunk-bridge/sunk-authorized-keys %u %U
            AuthorizedKeysCommandUser sunk-bridge-keys

            """)
        let out = try await doctorWithSSHD(s)
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        #expect(out.has("ok sshd-command: ", "%u %U", "sshd -T -C user=root"), "\(out.stdout)")
        #expect(out.has("ok sshd-command-user: ", "sunk-bridge-keys", "sshd -T"), "\(out.stdout)")
    }

    @Test("a Match block that applies is seen through sshd -T (the text reading cannot)")
    func matchApplied() async throws {
        let s = try await prepared()
        config(s, """
            AuthorizedKeysCommand /usr/libexec/sunk-bridge/sunk-authorized-keys %u %U
            AuthorizedKeysCommandUser sunk-bridge-keys
            Match User root
                AuthorizedKeysCommandUser root

            """)
        let out = try await doctorWithSSHD(s)
        #expect(out.status == 1, "\(out.stdout)")
        #expect(out.has("FAIL sshd-command-user: AuthorizedKeysCommandUser is root", "sshd -T"), "\(out.stdout)")
    }

    @Test("a configuration sshd refuses: FAIL with sshd's complaint, then the text is read")
    func refused() async throws {
        let s = try await prepared()
        config(s, """
            NoSuchKeywordHere yes
            AuthorizedKeysCommand /usr/libexec/sunk-bridge/sunk-authorized-keys %u %U
            AuthorizedKeysCommandUser sunk-bridge-keys

            """)
        let out = try await doctorWithSSHD(s)
        #expect(out.status == 1)
        #expect(out.has("FAIL sshd-config: ", "refused the configuration", "NoSuchKeywordHere"), "\(out.stdout)")
        #expect(out.has("ok sshd-command: ", "the text of"), "falls back to the text:\n\(out.stdout)")
    }
}

// Shared support of the `sunk-bridge doctor` tests: a prepared login-node root in a temp
// directory, and running the built `sunk-bridge` binary against it. (Named *Tests.swift to stay in
// the doctor's file-name space; its one test checks the support itself.)
import Foundation
import Testing
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

struct DoctorTestError: Error, CustomStringConvertible {
    var description: String
}

/// Runs programs and finds the binaries under test.
enum DoctorTestTools {
    /// `SUNK_BRIDGE_BIN`, else `sunk-bridge` next to the running test binary (SwiftPM puts every
    /// product of the build in one directory).
    static func sunkBridge() throws -> String {
        if let path = ProcessInfo.processInfo.environment["SUNK_BRIDGE_BIN"], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw DoctorTestError(description: "SUNK_BRIDGE_BIN=\(path) is not an executable file")
            }
            return path
        }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("sunk-bridge").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw DoctorTestError(description: """
            sunk-bridge binary not found next to \(exe.path): build it (swift build --product sunk-bridge) \
            or set SUNK_BRIDGE_BIN
            """)
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
        /// True when a line starts with `prefix` and contains every one of `parts`.
        func has(_ prefix: String, _ parts: String...) -> Bool {
            lines.contains { l in l.hasPrefix(prefix) && parts.allSatisfy { l.contains($0) } }
        }
    }

    /// Runs a program to completion; stdout through a pipe read to the end, stderr through a file.
    static func run(_ path: String, _ args: [String], environment: [String: String]? = nil) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        if let environment { p.environment = environment }
        let errPath = NSTemporaryDirectory() + "/doctor-test-stderr-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let out = Pipe()
        p.standardOutput = out
        p.standardError = errHandle
        p.standardInput = FileHandle.nullDevice
        try p.run()
        try? errHandle.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let err = FileManager.default.contents(atPath: errPath) ?? Data()
        return Output(status: p.terminationStatus, stdout: String(decoding: data, as: UTF8.self),
                      stderr: String(decoding: err, as: UTF8.self))
    }

    static func requireRoot(_ why: String) throws {
        guard geteuid() == 0 else {
            throw DoctorTestError(description: "this test needs root (\(why)); run the suite as root")
        }
    }

    static func rfc3339(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }
}

/// A login node below a temp directory, prepared "good": nsswitch with extrausers after files, the
/// module present, sshd config with the packaged command and user, helper and keys cache
/// root-owned, a fresh state file, /home 0755, subuid/subgid above every range.
final class DoctorScratch {
    let base: String
    let root: String
    var sshdConfig: String { root + "/etc/ssh/sshd_config" }
    var nsswitch: String { root + "/etc/nsswitch.conf" }

    init() throws {
        base = NSTemporaryDirectory() + "/doctor-test-\(UUID().uuidString.prefix(8))"
        root = base + "/root"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        chmod(base, 0o755)
        for dir in ["/etc/ssh/sshd_config.d", "/usr/libexec/sunk-bridge", "/usr/lib/x86_64-linux-gnu",
                    "/var/lib/sunk-bridge", "/home", "/etc/sunk-bridge"] {
            try mkdirs(dir)
        }
        write("/etc/nsswitch.conf", "passwd: files extrausers\ngroup: files extrausers\nshadow: files extrausers\n")
        write("/usr/lib/x86_64-linux-gnu/libnss_extrausers.so.2", "")
        write("/etc/ssh/sshd_config", """
            PidFile none
            AuthorizedKeysCommand /usr/libexec/sunk-bridge/sunk-authorized-keys %u %U
            AuthorizedKeysCommandUser sunk-bridge-keys

            """)
        write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nsunk-bridge-keys:x:104:65534::/nonexistent:/usr/sbin/nologin\n")
        write("/usr/libexec/sunk-bridge/sunk-authorized-keys", "#!/bin/sh\nexit 0\n", mode: 0o755)
        write("/var/lib/sunk-bridge/keys.cache", "cache\n")
        state(lastSuccess: Date())
        write("/etc/subuid", "alice:3000000000:65536\n")
        write("/etc/subgid", "alice:3000000000:65536\n")
        write("/etc/sunk-bridge/trust.pub", SignedSnapshotTests.Signer().trustLine + "\n")
    }

    deinit { try? FileManager.default.removeItem(atPath: base) }

    /// Creates ROOT+dir and its missing parents, each root-owned 0755 (root is the test's user).
    func mkdirs(_ dir: String) throws {
        try FileManager.default.createDirectory(atPath: root + dir, withIntermediateDirectories: true)
        var d = dir
        while d != "" && d != "/" {
            chmod(root + d, 0o755)
            d = String(d[..<(d.lastIndex(of: "/") ?? d.startIndex)])
        }
    }

    func write(_ path: String, _ text: String, mode: mode_t = 0o644) {
        _ = FileManager.default.createFile(atPath: root + path, contents: Data(text.utf8))
        chmod(root + path, mode)
    }

    /// Writes var/lib/sunk-bridge/state.json like the node sync does (ISO 8601, sorted keys),
    /// plus any extra top-level JSON members given as raw text.
    func state(lastSuccess: Date?, result: String = "applied", error: String? = nil, format: String = "extrausers",
               extra: String = "") {
        var members = ["\"format\" : \"\(format)\"", "\"lastResult\" : \"\(result)\"", "\"serial\" : 7",
                       "\"skipped\" : [ ]"]
        if let lastSuccess { members.append("\"lastSuccess\" : \"\(DoctorTestTools.rfc3339(lastSuccess))\"") }
        if let error { members.append("\"lastError\" : \"\(error)\"") }
        if !extra.isEmpty { members.append(extra) }
        write("/var/lib/sunk-bridge/state.json", "{\n  " + members.joined(separator: ",\n  ") + "\n}\n")
    }

    /// `sunk-bridge doctor --root ROOT --sshd-binary none …` (the file-text path).
    func doctor(_ extra: [String] = [], sshd: String = "none") throws -> DoctorTestTools.Output {
        try DoctorTestTools.run(try DoctorTestTools.sunkBridge(),
                                ["doctor", "--root", root, "--sshd-binary", sshd] + extra)
    }
}

@Suite("doctor: test support")
struct DoctorScratchTests {
    @Test("the prepared good root passes every check, exit 0")
    func goodRoot() throws {
        try DoctorTestTools.requireRoot("the scratch root must be root-owned like a real node")
        let s = try DoctorScratch()
        let out = try s.doctor()
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        for check in ["nsswitch", "nss-module", "sshd-command", "sshd-command-user", "helper", "keys-cache",
                      "node-files", "sync-state", "trust-key", "home-prefix", "id-ranges"] {
            #expect(out.has("ok \(check): "), "no ok line for \(check):\n\(out.stdout)")
        }
        #expect(!out.stdout.contains("FAIL") && !out.stdout.contains("WARN"), "\(out.stdout)")
        #expect(out.lines.last?.hasPrefix("doctor: ") == true && out.lines.last?.hasSuffix("0 warnings, 0 failures") == true)
    }

    @Test("trust-key: missing, unparsable or for another org than the applied snapshot is a FAIL")
    func trustKey() throws {
        try DoctorTestTools.requireRoot("the scratch root must be root-owned like a real node")
        let s = try DoctorScratch()
        try FileManager.default.removeItem(atPath: s.root + "/etc/sunk-bridge/trust.pub")
        var out = try s.doctor()
        #expect(out.status == 1)
        #expect(out.has("FAIL trust-key: ", "cannot be read"), "\(out.stdout)")
        #expect(out.stdout.contains("sunk-bridge org trust-key ORG"), "the fix names the command")
        s.write("/etc/sunk-bridge/trust.pub", "ssh-ed25519 AAAA default\n")
        out = try s.doctor()
        #expect(out.has("FAIL trust-key: ", "line 1"), "\(out.stdout)")
        var research = SignedSnapshotTests.Signer()
        research.org = "research"
        s.write("/etc/sunk-bridge/trust.pub", research.trustLine + "\n")
        s.state(lastSuccess: Date(), extra: "\"org\" : \"default\"")
        out = try s.doctor()
        #expect(out.has("FAIL trust-key: ", "keys for research", "org default"), "\(out.stdout)")
    }
}

import Foundation
import Logging
import SCIMServer
import SunkModel
import SunkStore
import Testing
import TestSupport

/// `serve` terminating HTTPS itself, `sync --ca-file` verifying it, and SIGHUP certificate reload.
@Suite("TLS: serve over HTTPS, sync --ca-file, SIGHUP reload", .tags(.e2e, .live), .timeLimit(.minutes(5)))
struct TLSTests {
    @Test("sync --ca-file succeeds against the HTTPS server; a wrong CA or the system store fails closed and status says why")
    func syncVerifiesServerCertificate() async throws {
        let bridge = try Binaries.sunkBridge()
        let work = try temporaryDirectory("tls-sync")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let pki = TestPKI(directory: work)
        try await pki.makeCA("ca")
        try await pki.makeCA("other-ca")
        try await pki.makeServer("server", ca: "ca", serial: "1001")

        var quiet = Logger(label: "tls-test")
        quiet.logLevel = .critical
        let store = try TLSCertificateStore(certificateFile: pki.path("server.pem"), keyFile: pki.path("server.key"), logger: quiet)
        try await withServer(tls: TestTLS(store: store, caFile: pki.path("ca.pem"))) { server in
            #expect(server.baseURL.hasPrefix("https://127.0.0.1:"), "\(server.baseURL)")
            let created = try await server.post("/Users", userBody("ada.lovelace@example.com", posixName: "ada", uid: 100001))
            try #require(created.status == 201, "SCIM over HTTPS: \(created.status) \(created.text)")
            let tokenFile = work + "/node-token"
            try writeFile(tokenFile, server.nodeToken + "\n")
            let snapshotURL = server.baseURL + "/scim/default/export/v1/snapshot"
            let trust = try server.writeTrustKey(to: work + "/trust.pub")

            let good = work + "/node-good"
            try makeNodeRoot(good)
            let ok = try await run(bridge, ["sync", "--from", snapshotURL, "--token-file", tokenFile, "--trust-key", trust,
                                      "--ca-file", pki.path("ca.pem"), "--root", good, "--quiet"])
            #expect(ok.status == 0, "sync with the right CA: \(ok.output)")
            let passwd = (try? String(contentsOfFile: good + "/var/lib/extrausers/passwd", encoding: .utf8)) ?? ""
            #expect(passwd.contains("ada:x:100001:"), "passwd: \(passwd)")

            for (label, extra) in [("wrong CA", ["--ca-file", pki.path("other-ca.pem")]), ("system trust store", [])] {
                let root = work + "/node-\(label.replacingOccurrences(of: " ", with: "-"))"
                try makeNodeRoot(root)
                let before = try FileManager.default.contentsOfDirectory(atPath: root + "/etc").sorted()
                let refused = try await run(bridge, ["sync", "--from", snapshotURL, "--token-file", tokenFile,
                                                     "--trust-key", trust, "--root", root,
                                               "--quiet"] + extra)
                #expect(refused.status != 0, "\(label): sync must fail closed: \(refused.output)")
                #expect(!FileManager.default.fileExists(atPath: root + "/var/lib/extrausers/passwd"),
                        "\(label): no NSS file may be written")
                #expect(!FileManager.default.fileExists(atPath: root + "/var/lib/extrausers/group"), "\(label)")
                #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/etc").sorted() == before, "\(label)")
                let status = try await run(bridge, ["status", "--root", root])
                #expect(status.status != 0, "\(label): status must report the failure: \(status.output)")
                #expect(status.output.contains("last error:") && status.output.contains("TLS"),
                        "\(label): status names the TLS failure: \(status.output)")
            }
        }
    }

    @Test("serve from a config file over HTTPS; SIGHUP swaps the certificate on the same listener; a bad reload keeps the old one")
    func sighupReload() async throws {
        let bridge = try Binaries.sunkBridge()
        let work = try temporaryDirectory("tls-hup")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let pki = TestPKI(directory: work)
        try await pki.makeCA("ca")
        try await pki.makeServer("first", ca: "ca", serial: "1001")
        try await pki.makeServer("second", ca: "ca", serial: "2002")
        try await pki.makeServer("third", ca: "ca", serial: "3003")
        try await pki.sh("cp first.pem live.pem && cp first.key live.key && chmod 600 live.key")
        let config = work + "/config.yaml"
        try writeFile(config, """
            server:
              listen: 127.0.0.1:0
              tls:
                cert: \(pki.path("live.pem"))
                key: \(pki.path("live.key"))
            database:
              path: \(work)/db/sunk.sqlite
            orgs:
              research:
                policy:
                  uidRange: 20000-29999
                  allocatedUidRange: 25000-29999
                  gidRange: 20000-39999
                  allocatedGidRange: 30000-39999
            """, mode: 0o644)
        try FileManager.default.createDirectory(atPath: work + "/db", withIntermediateDirectories: true)

        let serve = try await ChildProcess.start(bridge, ["serve", "--config", config], output: .file(work + "/serve.log"))
        defer { serve.stop() }
        let port = try #require(await serve.listeningPort(), "serve did not start: \(serve.output)")
        #expect(serve.output.contains("listening on https://127.0.0.1:\(port)"), "\(serve.output)")
        #expect(serve.output.contains("created org research from the configuration"), "\(serve.output)")
        #expect(try await pki.servedSerial(port: port) == "1001")

        // Replace both files the way certbot's renewal hook would, then SIGHUP.
        try await pki.sh("cp second.pem live.pem.new && mv live.pem.new live.pem && cp second.key live.key.new && chmod 600 live.key.new && mv live.key.new live.key")
        serve.signal(SIGHUP)
        var served: String?
        for _ in 0..<100 {
            served = try await pki.servedSerial(port: port)
            if served == "2002" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(served == "2002", "after SIGHUP a new connection sees the new certificate: \(serve.output)")
        #expect(serve.isRunning, "the same process keeps serving")

        // A broken reload: the key does not match the certificate. The old certificate stays.
        try await pki.sh("cp third.pem live.pem")
        serve.signal(SIGHUP)
        let logged = await serve.waitFor(seconds: 20) { $0.contains("TLS reload failed") }
        #expect(logged, "a failed reload is logged: \(serve.output)")
        #expect(serve.isRunning)
        #expect(try await pki.servedSerial(port: port) == "2002", "the previous certificate is still served")

        // Garbage in the certificate file: same.
        try await pki.sh("echo not-a-certificate > live.pem")
        serve.signal(SIGHUP)
        try await Task.sleep(for: .milliseconds(500))
        #expect(serve.isRunning)
        #expect(try await pki.servedSerial(port: port) == "2002")
        await serve.stopAndWait()

        // The org policy from the file reached the database.
        let research = try await SunkDatabase(path: work + "/db/sunk.sqlite").org(named: "research")
        #expect(research.policy.userIDRange == IDRange(lower: 20000, upper: 29999))
        #expect(research.policy.allocatedGroupIDRange == IDRange(lower: 30000, upper: 39999))
        #expect(research.policy.shells == Policy.default.shells, "keys not in the file keep their value")
    }

    @Test("serve refuses to start on an unreadable certificate, a group-readable key, or only one of the two")
    func refusesUnsafeFiles() async throws {
        let bridge = try Binaries.sunkBridge()
        let work = try temporaryDirectory("tls-refuse")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let pki = TestPKI(directory: work)
        try await pki.makeCA("ca")
        try await pki.makeServer("server", ca: "ca", serial: "1001")
        let base = ["serve", "--db", work + "/sunk.sqlite", "--listen", "127.0.0.1:0"]

        let missing = try await run(bridge, base + ["--tls-cert", work + "/nope.pem", "--tls-key", pki.path("server.key")])
        #expect(missing.status != 0)
        #expect(missing.output.contains("nope.pem") && missing.output.contains("cannot be read"), "\(missing.output)")

        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: pki.path("server.key"))
        let loose = try await run(bridge, base + ["--tls-cert", pki.path("server.pem"), "--tls-key", pki.path("server.key")])
        #expect(loose.status != 0)
        #expect(loose.output.contains("mode 0640") && loose.output.contains("chmod 600"), "\(loose.output)")
        #expect(!loose.output.contains("listening on"))

        let half = try await run(bridge, base + ["--tls-cert", pki.path("server.pem")])
        #expect(half.status != 0)
        #expect(half.output.contains("--tls-cert and --tls-key go together"), "\(half.output)")
    }

    @Test("TLSCertificateStore.reload keeps the previous certificate when the new files are bad")
    func storeReloadInProcess() async throws {
        let work = try temporaryDirectory("tls-store")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let pki = TestPKI(directory: work)
        try await pki.makeCA("ca")
        try await pki.makeServer("a", ca: "ca", serial: "0A01")
        try await pki.makeServer("b", ca: "ca", serial: "0B02")
        try await pki.sh("cp a.pem live.pem && cp a.key live.key")
        let store = try TLSCertificateStore(certificateFile: pki.path("live.pem"), keyFile: pki.path("live.key"),
                                            logger: .init(label: "test"))
        #expect(store.credentials.serialHex == "0A01")
        #expect(store.credentials.chain.count == 2, "the chain file holds leaf and CA")

        try await pki.sh("cp b.pem live.pem")  // key a, certificate b: mismatch
        guard case .failure(let mismatch) = store.reload() else { Issue.record("a mismatched key was accepted"); return }
        #expect(mismatch.subject == .key)
        #expect(store.credentials.serialHex == "0A01")

        try await pki.sh("cp b.key live.key && chmod 644 live.key")
        guard case .failure(let loose) = store.reload() else { Issue.record("a world-readable key was accepted"); return }
        #expect(loose.description.contains("chmod 600"))

        try await pki.sh("chmod 600 live.key")
        guard case .success(let fresh) = store.reload() else { Issue.record("a good reload failed"); return }
        #expect(fresh.serialHex == "0B02")
        #expect(store.credentials.serialHex == "0B02")
    }
}

import Foundation
import SunkModel
import SunkStore
import Testing
import TestSupport

/// `sunk-bridge config check` and the precedence flags > SUNK_BRIDGE_* environment > file > defaults,
/// run as the real binary.
@Suite("Configuration file: config check and precedence", .tags(.e2e))
struct ConfigTests {
    /// Runs `sunk-bridge ARGS` with only PATH and HOME from this environment plus `environment`.
    func bridge(_ arguments: [String], environment: [String: String] = [:]) async throws -> ProcessResult {
        let binary = try Binaries.sunkBridge()
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        env.merge(environment) { $1 }
        return try await run(binary, arguments, environment: env)
    }

    func check(_ yaml: String, environment: [String: String] = [:], in work: String) async throws -> ProcessResult {
        let file = work + "/config-\(UUID().uuidString.prefix(6)).yaml"
        try writeFile(file, yaml, mode: 0o644)
        return try await bridge(["config", "check", "--config", file], environment: environment)
    }

    static let fullExample = """
        # every key, with values other than the defaults
        server:
          listen: 0.0.0.0:8443
          publicURL: https://scim.example.com
          maxBodyBytes: 2097152
        database:
          path: /var/lib/sunk-bridge/sunk-bridge.sqlite
        orgs:
          default:
            policy:
              uidRange: 10000-2147483647
              gidRange: 10000-2147483647
              allocatedUidRange: 1000000-1999999
              allocatedGidRange: 2000000-2999999
              homePrefixes: [/home, /mnt/home]
              shells: [/bin/bash, /bin/zsh, /usr/sbin/nologin]
              defaultShell: /bin/bash
              reservedUserNames: [root, admin, slurm]
              reservedGroupNames: [root, wheel, sudo]
              legacyConsoleGroups: true
              groupNameMappings:
                hpc-research: research
              deactivation: remove
              keyOptions: restrict,pty
          research: {}
        node:
          root: /
          nssFormat: cache
          maxDeletePercent: 20
          createHomes: true
          homePrefixes: [/home, /var/home]
          from: https://scim.example.com/scim/default/export/v1/snapshot
          tokenFile: /etc/sunk-bridge/node-token
          caFile: /etc/sunk-bridge/ca.pem
          sudoGroups: [hpc-admins, ops]
          sudoNoPassword: true
        """

    @Test("a complete valid file passes with exit 0")
    func validFile() async throws {
        let work = try temporaryDirectory("config-ok")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let result = try await check(Self.fullExample, in: work)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains(": OK"), "\(result.output)")
        #expect(result.output.contains("listen 0.0.0.0:8443") && result.output.contains("orgs: default, research"),
                "\(result.output)")
    }

    @Test("each class of error is reported with the key it concerns, all at once, exit 1",
          arguments: [
            ("server:\n  listn: 127.0.0.1:8080\n", "server.listn: unknown key; allowed here: listen, maxBodyBytes, publicURL, tls"),
            ("nodes:\n  root: /\n", "nodes: unknown key"),
            ("orgs:\n  default:\n    policy:\n      uidRnge: 1-2\n", "orgs.default.policy.uidRnge: unknown key"),
            ("orgs:\n  default:\n    policy:\n      uidRange: 20000\n", "orgs.default.policy.uidRange: \"20000\" must look like LOW-HIGH"),
            ("orgs:\n  default:\n    policy:\n      uidRange: 30000-20000\n", "orgs.default.policy.uidRange: lower bound 30000 is above upper bound 20000"),
            ("orgs:\n  default:\n    policy:\n      uidRange: 500-20000\n", "orgs.default.policy.uidRange: 500–20000 must not start below 1000"),
            ("orgs:\n  default:\n    policy:\n      allocatedUidRange: 60000-70000\n", "orgs.default.policy.allocatedUidRange:"),
            ("orgs:\n  default:\n    policy:\n      defaultShell: /bin/fish2\n", "orgs.default.policy.defaultShell: \"/bin/fish2\" is not in the shells allowlist"),
            ("orgs:\n  default:\n    policy:\n      shells: /bin/bash\n", "orgs.default.policy.shells: must be a list"),
            ("orgs:\n  default:\n    policy:\n      deactivation: delete\n", "orgs.default.policy.deactivation: \"delete\" must be lock or remove"),
            ("orgs:\n  default:\n    policy:\n      keyOptions: command=\"/bin/sh\"\n", "orgs.default.policy.keyOptions:"),
            ("orgs:\n  default:\n    policy:\n      legacyConsoleGroups: maybe\n", "orgs.default.policy.legacyConsoleGroups: \"maybe\" is not true or false"),
            // The canonical names (the JSON keys) give the same messages under their own key.
            ("orgs:\n  default:\n    policy:\n      userIDRange: 30000-20000\n", "orgs.default.policy.userIDRange: lower bound 30000 is above upper bound 20000"),
            ("orgs:\n  default:\n    policy:\n      reserveLegacyConsoleGroups: maybe\n", "orgs.default.policy.reserveLegacyConsoleGroups: \"maybe\" is not true or false"),
            ("orgs:\n  default:\n    policy:\n      uidRange: 20000-29999\n      userIDRange: 20000-29999\n", "orgs.default.policy.uidRange: sets the same field as orgs.default.policy.userIDRange"),
            ("orgs:\n  default:\n    policy:\n      maxKeys: many\n", "orgs.default.policy.maxKeys: \"many\" is not an integer"),
            ("orgs:\n  default:\n    policy:\n      minimumRSABits: 1024\n", "orgs.default.policy.minimumRSABits: must be between 2048 and 16384"),
            ("orgs:\n  Bad_Org:\n    policy: {}\n", "orgs.Bad_Org: org name"),
            ("server:\n  listen: localhost\n", "server.listen: \"localhost\" must look like"),
            ("server:\n  maxBodyBytes: lots\n", "server.maxBodyBytes: \"lots\" is not an integer"),
            ("server:\n  publicURL: scim.example.com\n", "server.publicURL: \"scim.example.com\" must start with https://"),
            ("server:\n  tls:\n    cert: /etc/ssl/x.pem\n", "server.tls.key: missing: server.tls.cert is set"),
            ("server:\n  tls:\n    cert: /nonexistent/cert.pem\n    key: /nonexistent/key.pem\n", "server.tls.cert: TLS certificate /nonexistent/cert.pem: cannot be read"),
            ("node:\n  nssFormat: files\n", "node.nssFormat: \"files\" must be extrausers or cache"),
            ("node:\n  maxDeletePercent: 150\n", "node.maxDeletePercent: 150 must be between 0 and 100"),
            ("node:\n  from: ftp://example.com/x\n", "node.from:"),
            // No home prefix may be or lie in a system tree, for the org's policy or the node's own list.
            ("orgs:\n  default:\n    policy:\n      homePrefixes: [/etc]\n",
             "orgs.default.policy.homePrefixes: \"/etc\" is the system tree /etc; a home prefix must be outside"),
            ("orgs:\n  research:\n    policy:\n      homePrefixes: [/home, /root/homes]\n",
             "orgs.research.policy.homePrefixes: \"/root/homes\" lies inside the system tree /root"),
            ("node:\n  homePrefixes: [/home, /etc]\n", "node.homePrefixes: \"/etc\" is the system tree /etc"),
            ("node:\n  homePrefixes: [/var/home2]\n", "node.homePrefixes: \"/var/home2\" lies inside the system tree /var"),
            ("node:\n  homePrefixes: [/]\n", "node.homePrefixes: \"/\" is not allowed as a home prefix"),
            ("node:\n  homePrefixes: [/home/]\n", "node.homePrefixes: \"/home/\" must not contain an empty component"),
            ("node:\n  homePrefixes: /home\n", "node.homePrefixes: must be a list"),
            // sudo only for valid, non-system group names.
            ("node:\n  sudoGroups: [hpc-admins, wheel]\n", "node.sudoGroups: \"wheel\" is a system group"),
            ("node:\n  sudoGroups: [\"hpc admins\"]\n", "node.sudoGroups: \"hpc admins\" is not a POSIX group name"),
            ("node:\n  sudoNoPassword: often\n", "node.sudoNoPassword: \"often\" is not true or false"),
          ])
    func errorsNameTheirKey(yaml: String, expected: String) async throws {
        let work = try temporaryDirectory("config-bad")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let result = try await check(yaml, in: work)
        #expect(result.status == 1, "\(yaml) → \(result.output)")
        #expect(result.output.contains("error: " + expected), "expected \(expected) in: \(result.output)")
        #expect(result.output.contains("line "), "the file line is given: \(result.output)")
    }

    @Test("several errors are all listed; an unreadable or world-readable TLS key is named by server.tls.key")
    func tlsFilesAndManyErrors() async throws {
        let work = try temporaryDirectory("config-tls")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let pki = TestPKI(directory: work)
        try await pki.makeCA("ca")
        try await pki.makeServer("server", ca: "ca", serial: "1001")
        let good = "server:\n  tls:\n    cert: \(pki.path("server.pem"))\n    key: \(pki.path("server.key"))\n"
        let ok = try await check(good, in: work)
        #expect(ok.status == 0, "\(ok.output)")
        #expect(ok.output.contains("TLS on"), "\(ok.output)")

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: pki.path("server.key"))
        let loose = try await check(good + "node:\n  maxDeletePercent: -1\nfoo: 1\n", in: work)
        #expect(loose.status == 1)
        #expect(loose.output.contains("error: server.tls.key: TLS private key \(pki.path("server.key")) has mode 0644"),
                "\(loose.output)")
        #expect(loose.output.contains("error: node.maxDeletePercent"), "\(loose.output)")
        #expect(loose.output.contains("error: foo: unknown key"), "\(loose.output)")
        #expect(loose.output.contains("3 errors"), "\(loose.output)")

        let missing = try await bridge(["config", "check", "--config", work + "/absent.yaml"])
        #expect(missing.status == 1)
        #expect(missing.output.contains("absent.yaml does not exist"), "\(missing.output)")
    }

    @Test("SUNK_BRIDGE_CONFIG names the file; SUNK_BRIDGE_* variables override it and are named in errors")
    func environmentOverridesFile() async throws {
        let work = try temporaryDirectory("config-env")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let file = work + "/config.yaml"
        try writeFile(file, "server:\n  listen: 127.0.0.1:7001\n", mode: 0o644)
        let fromFile = try await bridge(["config", "check"], environment: ["SUNK_BRIDGE_CONFIG": file])
        #expect(fromFile.status == 0, "\(fromFile.output)")
        #expect(fromFile.output.contains("listen 127.0.0.1:7001"), "\(fromFile.output)")

        let overridden = try await bridge(["config", "check"], environment: [
            "SUNK_BRIDGE_CONFIG": file, "SUNK_BRIDGE_SERVER_LISTEN": "127.0.0.1:7002"])
        #expect(overridden.output.contains("listen 127.0.0.1:7002"), "\(overridden.output)")

        let bad = try await bridge(["config", "check"], environment: [
            "SUNK_BRIDGE_CONFIG": file, "SUNK_BRIDGE_SERVER_MAX_BODY_BYTES": "huge"])
        #expect(bad.status == 1)
        #expect(bad.output.contains("server.maxBodyBytes: \"huge\" is not an integer (environment variable SUNK_BRIDGE_SERVER_MAX_BODY_BYTES)"),
                "\(bad.output)")
    }

    @Test("sync: --root flag > SUNK_BRIDGE_NODE_ROOT > node.root in the file; node.nssFormat from the file applies")
    func syncPrecedence() async throws {
        let work = try temporaryDirectory("config-sync")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try await withServer { server in
            _ = try await server.createUser(userBody("ada.lovelace@example.com", posixName: "ada", uid: 100001))
            for name in ["file-root", "env-root", "flag-root"] { try makeNodeRoot(work + "/" + name) }
            let file = work + "/config.yaml"
            try writeFile(file, "node:\n  root: \(work)/file-root\n  nssFormat: cache\n", mode: 0o644)

            let viaFile = try await bridge(["sync", "--db", server.databasePath, "--quiet"], environment: ["SUNK_BRIDGE_CONFIG": file])
            #expect(viaFile.status == 0, "\(viaFile.output)")
            #expect(FileManager.default.fileExists(atPath: work + "/file-root/etc/passwd.cache"),
                    "node.root and node.nssFormat from the file")

            let viaEnv = try await bridge(["sync", "--db", server.databasePath, "--quiet"], environment: [
                "SUNK_BRIDGE_CONFIG": file, "SUNK_BRIDGE_NODE_ROOT": work + "/env-root"])
            #expect(viaEnv.status == 0, "\(viaEnv.output)")
            #expect(FileManager.default.fileExists(atPath: work + "/env-root/etc/passwd.cache"), "environment beats the file")

            let viaFlag = try await bridge(["sync", "--db", server.databasePath, "--quiet", "--root", work + "/flag-root",
                                      "--nss-format", "extrausers", "--config", file],
                                     environment: ["SUNK_BRIDGE_NODE_ROOT": work + "/env-root"])
            #expect(viaFlag.status == 0, "\(viaFlag.output)")
            #expect(FileManager.default.fileExists(atPath: work + "/flag-root/var/lib/extrausers/passwd"),
                    "flags beat the environment and the file")
            #expect(!FileManager.default.fileExists(atPath: work + "/flag-root/etc/passwd.cache"))

            let broken = work + "/broken.yaml"
            try writeFile(broken, "node:\n  nssFormat: files\n", mode: 0o644)
            let refused = try await bridge(["sync", "--db", server.databasePath, "--root", work + "/flag-root", "--config", broken])
            #expect(refused.status != 0)
            #expect(refused.output.contains("node.nssFormat"), "\(refused.output)")
        }
    }

    @Test("sync: --home-prefix and node.homePrefixes decide which homes a node accepts; /etc is refused before anything is read")
    func syncHomePrefixes() async throws {
        let work = try temporaryDirectory("config-homes")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try await withServer { server in
            var policy = try server.org().policy
            policy.homePrefixes = ["/home", "/data"]
            _ = try server.database.updateOrg("default", policy: policy)
            _ = try await server.createUser(userBody("ada@example.com", posixName: "ada", uid: 100001))
            _ = try await server.createUser(userBody("eve@example.com", posixName: "eve", uid: 100002,
                                                     extra: "\"sunkPreferredHomeDirectory\": \"/data/eve\""))
            for name in ["default", "configured", "flagged", "refused"] { try makeNodeRoot(work + "/" + name) }

            // Default /home: eve's /data/eve is skipped and said so; ada is written.
            let plain = try await bridge(["sync", "--db", server.databasePath, "--root", work + "/default"])
            #expect(plain.status == 0, "\(plain.output)")
            #expect(plain.output.contains("skipped user eve: home /data/eve is not strictly below this node's home prefixes (/home)"),
                    "\(plain.output)")
            let passwd = try String(contentsOfFile: work + "/default/var/lib/extrausers/passwd", encoding: .utf8)
            #expect(passwd.contains("ada:x:100001:") && !passwd.contains("eve:"), "\(passwd)")

            // node.homePrefixes from the file widens the node's list; a flag replaces it.
            let file = work + "/config.yaml"
            try writeFile(file, "node:\n  homePrefixes: [/home, /data]\n", mode: 0o644)
            let configured = try await bridge(["sync", "--db", server.databasePath, "--root", work + "/configured",
                                               "--config", file])
            #expect(configured.status == 0, "\(configured.output)")
            let wide = try String(contentsOfFile: work + "/configured/var/lib/extrausers/passwd", encoding: .utf8)
            #expect(wide.contains("ada:x:100001:") && wide.contains("eve:x:100002:100002:Test User:/data/eve:"), "\(wide)")
            let flagged = try await bridge(["sync", "--db", server.databasePath, "--root", work + "/flagged",
                                            "--config", file, "--home-prefix", "/data"])
            #expect(flagged.status == 0, "\(flagged.output)")
            #expect(flagged.output.contains("skipped user ada: home /home/ada is not strictly below this node's home prefixes (/data)"),
                    "\(flagged.output)")

            // A system tree is a usage error (exit 64) before the snapshot is read: nothing written.
            for prefix in ["/etc", "/", "/var/lib/homes"] {
                let refused = try await bridge(["sync", "--db", server.databasePath, "--root", work + "/refused",
                                                "--home-prefix", "/home", "--home-prefix", prefix])
                #expect(refused.status == 64, "\(refused.output)")
                #expect(refused.output.contains("--home-prefix: \"\(prefix)\""), "\(refused.output)")
            }
            let etc = try await bridge(["sync", "--db", server.databasePath, "--root", work + "/refused", "--home-prefix", "/etc"])
            #expect(etc.output.contains("\"/etc\" is the system tree /etc; a home prefix must be outside"), "\(etc.output)")
            #expect(!FileManager.default.fileExists(atPath: work + "/refused/var/lib/extrausers"), "nothing written")
            try writeFile(file, "node:\n  homePrefixes: [/root]\n", mode: 0o644)
            let fromFile = try await bridge(["sync", "--db", server.databasePath, "--root", work + "/refused", "--config", file])
            #expect(fromFile.status == 1, "\(fromFile.output)")
            #expect(fromFile.output.contains("configuration: node.homePrefixes: \"/root\" is the system tree /root"),
                    "\(fromFile.output)")
            #expect(!FileManager.default.fileExists(atPath: work + "/refused/var/lib/extrausers"), "nothing written")
        }
    }

    @Test("org set --home-prefix refuses a system tree and leaves the policy as it was")
    func orgSetRefusesSystemTrees() async throws {
        let work = try temporaryDirectory("config-orgset")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let db = work + "/sunk.sqlite"
        let created = try await bridge(["org", "create", "research", "--db", db])
        #expect(created.status == 0, "\(created.output)")
        for prefix in ["/etc", "/root", "/usr/local/home", "/var", "/lib64"] {
            let refused = try await bridge(["org", "set", "research", "--db", db, "--home-prefix", "/home", "--home-prefix", prefix])
            #expect(refused.status != 0, "\(refused.output)")
            #expect(refused.output.contains("policy.homePrefixes: \"\(prefix)\""), "\(refused.output)")
            #expect(refused.output.contains("system tree"), "\(refused.output)")
        }
        let unchanged = try await bridge(["org", "show", "research", "--db", db])
        #expect(unchanged.output.contains("homePrefixes: /home\n"), "\(unchanged.output)")
        let accepted = try await bridge(["org", "set", "research", "--db", db, "--home-prefix", "/var/home",
                                         "--home-prefix", "/shared/home"])
        #expect(accepted.status == 0, "\(accepted.output)")
        let show = try await bridge(["org", "show", "research", "--db", db])
        #expect(show.output.contains("homePrefixes: /var/home /shared/home"), "\(show.output)")
    }

    @Test("org set flags are the policy keys in words, parsed like the file; org show prints the same names")
    func orgSetFlagsAreTheConfigKeys() async throws {
        let work = try temporaryDirectory("config-flags")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let db = work + "/sunk.sqlite"
        #expect(try await bridge(["org", "create", "research", "--db", db]).status == 0)
        let set = try await bridge([
            "org", "set", "research", "--db", db, "--user-id-range", "20000-29999",
            "--allocated-user-id-range=25000–29999", "--group-id-range", "20000-39999", "--allocated-gid-range", "30000-39999",
            "--max-keys", "4", "--minimum-rsa-bits", "3072", "--reserve-legacy-console-groups", "yes",
            "--shells", "/bin/bash", "--shell", "/usr/sbin/nologin", "--deactivation", "remove",
        ])
        #expect(set.status == 0, "\(set.output)")
        let show = try await bridge(["org", "show", "research", "--db", db])
        for line in ["userIDRange: 20000–29999", "allocatedUserIDRange: 25000–29999", "groupIDRange: 20000–39999",
                     "allocatedGroupIDRange: 30000–39999", "maxKeys: 4", "minimumRSABits: 3072",
                     "reserveLegacyConsoleGroups: true", "shells: /bin/bash /usr/sbin/nologin", "deactivation: remove"] {
            #expect(show.output.contains("  " + line + "\n"), "\(line) in \(show.output)")
        }
        // The same mistakes give the same reasons as in the file.
        let range = try await bridge(["org", "set", "research", "--db", db, "--user-id-range", "20000"])
        #expect(range.status != 0 && range.output.contains("--user-id-range: \"20000\" must look like LOW-HIGH"), "\(range.output)")
        let boolean = try await bridge(["org", "set", "research", "--db", db, "--legacy-console-groups", "maybe"])
        #expect(boolean.status != 0 && boolean.output.contains("\"maybe\" is not true or false"), "\(boolean.output)")
        let unknown = try await bridge(["org", "set", "research", "--db", db, "--user-id-rnge", "1-2"])
        #expect(unknown.status != 0 && unknown.output.contains("unknown option --user-id-rnge"), "\(unknown.output)")
        let twice = try await bridge(["org", "set", "research", "--db", db, "--uid-range", "20000-29999", "--user-id-range", "20000-29999"])
        #expect(twice.status != 0 && twice.output.contains("given twice"), "\(twice.output)")
        let help = try await bridge(["org", "set", "--help"])
        for field in PolicyField.all { #expect(help.output.contains(field.flag), "\(field.flag) in --help") }
    }

    @Test("admin commands open database.path from the file or SUNK_BRIDGE_DATABASE_PATH; --db and SUNK_BRIDGE_DB win")
    func adminCommandsFollowDatabasePath() async throws {
        let work = try temporaryDirectory("config-admin")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let configured = work + "/configured.sqlite"
        let other = work + "/other.sqlite"
        let file = work + "/config.yaml"
        try writeFile(file, "database:\n  path: \(configured)\n", mode: 0o644)

        let created = try await bridge(["org", "create", "research"], environment: ["SUNK_BRIDGE_CONFIG": file])
        #expect(created.status == 0, "\(created.output)")
        #expect(FileManager.default.fileExists(atPath: configured), "org create made the configured database")
        let token = try await bridge(["token", "create", "--org", "research", "--name", "okta", "--quiet", "--config", file])
        #expect(token.status == 0, "\(token.output)")
        let listed = try await bridge(["token", "list"], environment: ["SUNK_BRIDGE_CONFIG": file])
        #expect(listed.output.contains("okta"), "token list reads the configured database: \(listed.output)")

        let viaEnv = try await bridge(["org", "list"], environment: ["SUNK_BRIDGE_DATABASE_PATH": configured])
        #expect(viaEnv.status == 0 && viaEnv.output.contains("research"), "\(viaEnv.output)")

        // --db and SUNK_BRIDGE_DB (what the systemd unit sets) beat the file.
        let flag = try await bridge(["org", "create", "flagged", "--db", other, "--config", file])
        #expect(flag.status == 0, "\(flag.output)")
        let viaDBEnv = try await bridge(["org", "list"], environment: ["SUNK_BRIDGE_CONFIG": file, "SUNK_BRIDGE_DB": other])
        #expect(viaDBEnv.output.contains("flagged") && !viaDBEnv.output.contains("research"), "\(viaDBEnv.output)")
        let fromFile = try await bridge(["org", "list", "--config", file])
        #expect(fromFile.output.contains("research") && !fromFile.output.contains("flagged"), "\(fromFile.output)")

        // A database.path problem stops the command; a problem elsewhere only warns.
        let relative = work + "/relative.yaml"
        try writeFile(relative, "database:\n  path: sunk.sqlite\n", mode: 0o644)
        let refused = try await bridge(["users", "list", "--config", relative])
        #expect(refused.status == 1)
        #expect(refused.output.contains("database.path: \"sunk.sqlite\" must be an absolute path"), "\(refused.output)")
        let unrelated = work + "/unrelated.yaml"
        try writeFile(unrelated, "database:\n  path: \(configured)\nnode:\n  nssFormat: files\n", mode: 0o644)
        let warned = try await bridge(["org", "list", "--config", unrelated])
        #expect(warned.status == 0, "\(warned.output)")
        #expect(warned.output.contains("warning: configuration: node.nssFormat"), "\(warned.output)")
        #expect(warned.output.contains("research"), "\(warned.output)")

        let missing = try await bridge(["users", "list", "--config", work + "/absent.yaml"])
        #expect(missing.status == 1)
        #expect(missing.output.contains("absent.yaml does not exist"), "\(missing.output)")
    }
}

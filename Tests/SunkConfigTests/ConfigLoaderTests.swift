// The loader in-process, on real files in a temporary directory: where the file comes from, the
// precedence flag > SUNK_BRIDGE_* environment > file > default, and problems that name their key
// and where its value came from.
import Foundation
import SunkConfig
import SunkModel
import Testing
import TestSupport

/// A scratch directory with one configuration file in it.
final class ConfigScratch {
    let directory: String
    let file: String

    init(_ yaml: String, mode: mode_t = 0o644) throws {
        directory = try temporaryDirectory("config-loader")
        file = directory + "/config.yaml"
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: file))
        guard chmod(file, mode) == 0 else { throw CocoaError(.fileWriteNoPermission) }
    }

    /// The loader on this file, with only `environment` as the process environment.
    func load(_ environment: [String: String] = [:]) async -> SunkConfiguration {
        await ConfigLoader.load(flag: file, environment: environment)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }
}

@Suite("SunkConfig: where the file comes from")
struct ConfigLocationTests {
    @Test("--config over $SUNK_BRIDGE_CONFIG over the default path; only a named file must exist")
    func locate() async throws {
        let named = ["SUNK_BRIDGE_CONFIG": "/from/env.yaml"]
        #expect(ConfigLoader.locate(flag: "/from/flag.yaml", environment: named) == ("/from/flag.yaml", true))
        #expect(ConfigLoader.locate(flag: nil, environment: named) == ("/from/env.yaml", true))
        #expect(ConfigLoader.locate(flag: "", environment: [:]) == (ConfigLoader.defaultPath, false))

        let scratch = try ConfigScratch("")
        let absent = scratch.directory + "/absent.yaml"
        let missing = await ConfigLoader.load(flag: nil, environment: ["SUNK_BRIDGE_CONFIG": absent])
        #expect(missing.path == nil)
        #expect(missing.problems == [ConfigProblem(key: "(file)", message: "\(absent) does not exist")])
    }

    @Test("a file others may write is read, and named with the chmod that fixes it")
    func writableByOthers() async throws {
        let scratch = try ConfigScratch("server:\n  listen: 127.0.0.1:7001\n", mode: 0o666)
        let config = await scratch.load()
        #expect(config.path == scratch.file)
        #expect(config.listen == "127.0.0.1:7001")
        #expect(config.problems.map(\.description) == [
            "(file): \(scratch.file) is writable by group or others (mode 0666); run chmod go-w \(scratch.file)",
        ])
    }

    @Test("text that is not YAML is one (file) problem, and no value is read from it")
    func notYAML() async throws {
        let scratch = try ConfigScratch("server: [unclosed\n")
        let config = await scratch.load()
        #expect(config.listen == nil)
        #expect(config.problems.count == 1)
        #expect(config.problems.first?.key == "(file)")
        #expect(config.problems.first?.message.hasPrefix("\(scratch.file) is not valid YAML: ") == true,
                "\(config.problems)")
    }
}

@Suite("SunkConfig: precedence flag > environment > file > default")
struct ConfigPrecedenceTests {
    static let yaml = "server:\n  listen: 127.0.0.1:7001\n  maxBodyBytes: 4096\nnode:\n  root: /srv/file-root\n"

    @Test("each layer wins over the ones below it, key by key")
    func layers() async throws {
        let scratch = try ConfigScratch(Self.yaml)
        let fileOnly = await scratch.load()
        #expect(fileOnly.problems.isEmpty, "\(fileOnly.problems)")
        #expect(fileOnly.server() == ServerSettings(listen: "127.0.0.1:7001", publicURL: nil, tlsCert: nil,
                                                     tlsKey: nil, maxBodyBytes: 4096))
        #expect(fileOnly.nodeRoot == "/srv/file-root")

        let environment = ["SUNK_BRIDGE_SERVER_LISTEN": "127.0.0.1:7002", "SUNK_BRIDGE_NODE_ROOT": "/srv/env-root"]
        let withEnvironment = await scratch.load(environment)
        #expect(withEnvironment.server().listen == "127.0.0.1:7002")
        #expect(withEnvironment.server().maxBodyBytes == 4096, "a key the environment leaves out comes from the file")
        #expect(withEnvironment.nodeRoot == "/srv/env-root")

        let withFlag = withEnvironment.server(listen: "127.0.0.1:7003")
        #expect(withFlag.listen == "127.0.0.1:7003")
        #expect(withFlag.maxBodyBytes == 4096)
    }

    @Test("keys nobody sets take the built-in defaults")
    func defaults() async throws {
        let scratch = try ConfigScratch("node:\n  createHomes: true\n")
        let config = await scratch.load()
        #expect(config.problems.isEmpty, "\(config.problems)")
        #expect(config.listen == nil && config.maxBodyBytes == nil)
        #expect(config.server() == ServerSettings(listen: "127.0.0.1:8080", publicURL: nil, tlsCert: nil,
                                                   tlsKey: nil, maxBodyBytes: 1 << 20))
        #expect(config.nodeCreateHomes == true)
    }

    @Test("an org's policy keys patch the default policy; keys left out keep it")
    func orgPolicy() async throws {
        let scratch = try ConfigScratch("orgs:\n  research:\n    policy:\n      uidRange: 10000-2999999\n      maxKeys: 8\n  plain: {}\n")
        let config = await scratch.load()
        #expect(config.problems.isEmpty, "\(config.problems)")
        #expect(config.orgs.map(\.name) == ["plain", "research"])
        let research = config.orgs[1].policy.applied(to: .default)
        #expect(research.userIDRange == IDRange(lower: 10000, upper: 2_999_999))
        #expect(research.maxKeys == 8)
        #expect(research.groupIDRange == Policy.default.groupIDRange)
        #expect(config.orgs[0].policy.applied(to: .default) == .default)
    }
}

@Suite("SunkConfig: problems name their key and where the value came from")
struct ConfigProblemTests {
    @Test("an unknown key is refused with its dotted path, its line and the keys allowed there",
          arguments: [
            ("server:\n  lisen: 127.0.0.1:8080\n",
             ConfigProblem(key: "server.lisen", message: "unknown key; allowed here: listen, maxBodyBytes, publicURL, tls",
                           source: "config.yaml line 2")),
            ("node:\n  root: /\nslurm:\n  accounts:\n    prefix: hpc-\n",
             ConfigProblem(key: "slurm.accounts.prefix",
                           message: "unknown key; allowed here: defaultAccount, groupPrefix, map, parent",
                           source: "config.yaml line 5")),
          ])
    func unknownKey(yaml: String, expected: ConfigProblem) async throws {
        let scratch = try ConfigScratch(yaml)
        let config = await scratch.load()
        #expect(config.problems == [expected])
    }

    @Test("an unknown policy key lists the policy's field names")
    func unknownPolicyKey() async throws {
        let scratch = try ConfigScratch("orgs:\n  default:\n    policy:\n      uidRnge: 1-2\n")
        let config = await scratch.load()
        #expect(config.problems.count == 1)
        let problem = try #require(config.problems.first)
        #expect(problem.key == "orgs.default.policy.uidRnge")
        #expect(problem.source == "config.yaml line 4")
        #expect(problem.message == "unknown key; allowed here: " + ConfigSchema.policyNames.joined(separator: ", "))
    }

    @Test("a bad value names its key, from the file with its line, from the environment with the variable")
    func badValue() async throws {
        let scratch = try ConfigScratch("server:\n  listen: 127.0.0.1:7001\nnode:\n  maxDeletePercent: 150\n")
        let fromFile = await scratch.load()
        #expect(fromFile.problems == [
            ConfigProblem(key: "node.maxDeletePercent", message: "150 must be between 0 and 100", source: "config.yaml line 4"),
        ])
        #expect(fromFile.nodeMaxDeletePercent == 150, "the value is kept; the problem stops the command")

        let fromEnvironment = await scratch.load(["SUNK_BRIDGE_SERVER_MAX_BODY_BYTES": "huge"])
        #expect(fromEnvironment.problems.contains(ConfigProblem(
            key: "server.maxBodyBytes", message: "\"huge\" is not an integer",
            source: "environment variable SUNK_BRIDGE_SERVER_MAX_BODY_BYTES")), "\(fromEnvironment.problems)")
        #expect(fromEnvironment.maxBodyBytes == nil)
    }

    @Test("a value of the wrong shape is reported once and not read")
    func wrongShape() async throws {
        let scratch = try ConfigScratch("node:\n  homePrefixes: /home\n")
        let config = await scratch.load()
        #expect(config.problems == [
            ConfigProblem(key: "node.homePrefixes", message: "must be a list", source: "config.yaml line 2"),
        ])
        #expect(config.nodeHomePrefixes == nil)
    }

    @Test("triage: problems under an ignored prefix only warn")
    func triage() async throws {
        let scratch = try ConfigScratch("server:\n  listen: nowhere\nnode:\n  nssFormat: files\n")
        let config = await scratch.load()
        let serve = config.triage(ignoring: ["node."])
        #expect(serve.errors.map(\.key) == ["server.listen"])
        #expect(serve.warnings.map(\.key) == ["node.nssFormat"])
        let sync = config.triage(ignoring: ["server."])
        #expect(sync.errors.map(\.key) == ["node.nssFormat"])
        #expect(sync.warnings.map(\.key) == ["server.listen"])
    }

    @Test("the environment variable of a key splits camelCase words")
    func environmentName() {
        #expect(ConfigSchema.environmentName("server.maxBodyBytes") == "SUNK_BRIDGE_SERVER_MAX_BODY_BYTES")
        #expect(ConfigSchema.environmentName("node.tokenFile") == "SUNK_BRIDGE_NODE_TOKEN_FILE")
    }
}

@Suite("SunkConfig: the database")
struct ConfigDatabaseTests {
    @Test("database.url (or database.path) takes a postgresql:// URL; a bad one or both keys are problems, never echoing the password")
    func databaseURL() async throws {
        let url = "postgresql://sunk:s3cret@db.example.com/sunk?sslmode=verify-full"
        let good = try ConfigScratch("database:\n  url: \"\(url)\"\n")
        let config = await good.load()
        #expect(config.problems.isEmpty, "\(config.problems)")
        #expect(config.databasePath == url)
        #expect(await (try ConfigScratch("database:\n  path: \"\(url)\"\n")).load().problems.isEmpty)
        #expect(await good.load(["SUNK_BRIDGE_DATABASE_URL": "postgresql://h/other"]).databasePath == "postgresql://h/other")

        let badMode = await (try ConfigScratch("database:\n  url: \"postgresql://u:s3cret@h/d?sslmode=sometimes\"\n")).load()
        #expect(badMode.problems.map(\.key) == ["database.url"])
        #expect(badMode.problems.allSatisfy { !$0.message.contains("s3cret") }, "\(badMode.problems)")
        #expect(await (try ConfigScratch("database:\n  url: /var/lib/x.sqlite\n")).load().problems.map(\.key) == ["database.url"])
        let both = await (try ConfigScratch("database:\n  path: /var/lib/x.sqlite\n  url: \"\(url)\"\n")).load()
        #expect(both.problems.map(\.key) == ["database.url"])
    }
}

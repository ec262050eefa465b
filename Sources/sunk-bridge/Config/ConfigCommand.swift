// `sunk-bridge config check [--config FILE]`: validates the configuration and explains every error
// with the key it concerns.
import ArgumentParser
import Foundation
import SCIMServer
import SunkConfig

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Inspect the configuration file.",
        subcommands: [ConfigCheckCommand.self])
}

struct ConfigCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the configuration file; explain every error with its key.",
        discussion: """
            Reads --config FILE, else $SUNK_BRIDGE_CONFIG, else /etc/sunk-bridge/config.yaml, with the \
            SUNK_BRIDGE_* environment variables applied over it (as serve and sync see it). Checks unknown \
            keys, value shapes and ranges, every org policy (as the server would refuse it), and that the \
            TLS certificate and key can be loaded. Exit 0 when valid, 1 otherwise.
            """)

    @Option(name: .customLong("config"), help: "Configuration file (default: $SUNK_BRIDGE_CONFIG, else /etc/sunk-bridge/config.yaml).")
    var config: String?

    func run() async throws {
        let loaded = await ConfigLoader.load(flag: config)
        var problems = loaded.problems
        if let cert = loaded.tlsCert, let key = loaded.tlsKey {
            do throws(TLSFileError) {
                _ = try TLSCredentials.load(certificateFile: cert, keyFile: key)
            } catch {
                let configKey = error.subject == .key ? "server.tls.key" : "server.tls.cert"
                problems.append(ConfigProblem(key: configKey, message: error.description, source: loaded.sources[configKey]))
            }
        }
        let path = ConfigLoader.locate(flag: config, environment: ProcessInfo.processInfo.environment).path
        if problems.isEmpty {
            if loaded.path == nil {
                print("\(path): not present; built-in defaults and SUNK_BRIDGE_* environment variables apply")
            } else {
                print("\(path): OK")
            }
            print("  listen \(loaded.server().listen), TLS \(loaded.tlsCert == nil ? "off" : "on")"
                  + (loaded.orgs.isEmpty ? "" : ", orgs: " + loaded.orgs.map(\.name).joined(separator: ", ")))
            return
        }
        for problem in problems { printError("error: \(problem)") }
        printError("\(path): \(problems.count) error\(problems.count == 1 ? "" : "s")")
        throw ExitCode.failure
    }
}

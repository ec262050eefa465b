// Reads /etc/sunk-bridge/config.yaml (or --config / $SUNK_BRIDGE_CONFIG) with swift-configuration,
// layered under the SUNK_BRIDGE_* environment variables; command-line flags win over both (each
// command applies its own flags, `ServerSettings` for `serve`). Structure and every value are
// checked here, so `config check`, `serve` and `sync` report the same problems, each with the key it
// concerns.
import Configuration
import Foundation
import SystemPackage
import Yams

/// Finds, reads and checks the configuration.
public enum ConfigLoader {
    /// The file read when neither `--config` nor `$SUNK_BRIDGE_CONFIG` names one.
    public static let defaultPath = "/etc/sunk-bridge/config.yaml"

    /// `--config` flag, else `$SUNK_BRIDGE_CONFIG`, else the default path (which may be absent).
    /// `explicit` is true when the file was named, so its absence is a problem.
    public static func locate(flag: String?, environment: [String: String]) -> (path: String, explicit: Bool) {
        if let flag, !flag.isEmpty { return (flag, true) }
        if let env = environment["SUNK_BRIDGE_CONFIG"], !env.isEmpty { return (env, true) }
        return (defaultPath, false)
    }

    /// The configuration file (`flag`, else `$SUNK_BRIDGE_CONFIG`, else `defaultPath`) with the
    /// `SUNK_BRIDGE_*` variables of `environment` over it. Never throws: everything wrong is in
    /// `problems`, so one run reports all of it.
    public static func load(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) async
        -> SunkConfiguration
    {
        var config = SunkConfiguration()
        let (path, explicit) = locate(flag: flag, environment: environment)
        var walk = YAMLWalk()
        var fileProvider: (any ConfigProvider)?

        do throws(ConfigFileError) {
            if let file = try ConfigFileText.read(path) {
                config.path = path
                if file.mode & 0o022 != 0 { config.problems.append(ConfigFileError.writableByOthers(path: path, mode: file.mode).problem) }
                fileProvider = try await parse(file.text, path: path, walk: &walk)
            } else if explicit {
                throw .missing(path: path)
            }
        } catch {
            config.problems.append(error.problem)
        }
        config.problems += walk.problems

        let environmentProvider = EnvironmentVariablesProvider(environmentVariables: environment)
            .prefixKeys(with: ConfigKey(["sunkBridge"]))
        let reader = ConfigReader(providers: [environmentProvider] + (fileProvider.map { [$0] } ?? []))
        var values = ValueReader(reader: reader, walk: walk, environment: environment)

        // The order of the sections is the order of the problems.
        readServer(&values, into: &config)
        readNode(&values, into: &config)
        readSlurm(&values, walk: walk, into: &config)
        readOrgs(&values, walk: walk, into: &config)
        config.problems += values.problems
        return config
    }

    /// Checks the structure of `text` into `walk`, and returns the file's layer of the reader
    /// (nil when the top level is not a mapping).
    private static func parse(_ text: String, path: String, walk: inout YAMLWalk) async throws(ConfigFileError)
        -> (any ConfigProvider)?
    {
        let root: Node?
        do { root = try Yams.Parser(yaml: text).singleRoot() } catch {
            throw .notYAML(path: path, reason: "\(error)")
        }
        guard let root else { return nil }
        walk.file = (path as NSString).lastPathComponent
        walk.root(root)
        guard root.mapping != nil else { return nil }
        do {
            return try await FileProvider<YAMLSnapshot>(filePath: FilePath(path))
        } catch let error where walk.problems.isEmpty {
            throw .unreadable(path: path, reason: "\(error)")
        } catch {
            // A shape the walk has already reported (e.g. a list of mappings).
            return nil
        }
    }

    static func quoted(_ text: String) -> String { "\"\(text)\"" }
}

// What `config check`, `serve`, `sync` and `slurm sync` report about the configuration: one problem
// per key, with where the value came from, so the person reading it knows which line to fix.

/// One thing wrong with the configuration, tied to its key.
public struct ConfigProblem: Error, Equatable, Sendable, CustomStringConvertible {
    /// The dotted key (`server.listen`, `orgs.research.policy.uidRange`), or `(file)` for the file
    /// itself.
    public var key: String
    /// What is wrong and, where it helps, what to write instead.
    public var message: String
    /// `config.yaml line 12` or `environment variable SUNK_BRIDGE_…`.
    public var source: String?

    public init(key: String, message: String, source: String? = nil) {
        self.key = key
        self.message = message
        self.source = source
    }

    public var description: String { "\(key): \(message)" + (source.map { " (\($0))" } ?? "") }

    /// The key that stands for the file as a whole (missing, unreadable, not YAML, too open).
    public static let fileKey = "(file)"
}

/// The problems as one command sees them: `errors` stop it, `warnings` are only printed.
public struct ConfigTriage: Equatable, Sendable {
    public var errors: [ConfigProblem]
    public var warnings: [ConfigProblem]
}

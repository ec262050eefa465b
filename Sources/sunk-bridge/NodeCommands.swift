import ArgumentParser

/// The node-side subcommands (sync, getent, status), kept in Node/.
enum NodeCommands {
    static let all: [any ParsableCommand.Type] = [SyncCommand.self, GetentCommand.self, StatusCommand.self]
}

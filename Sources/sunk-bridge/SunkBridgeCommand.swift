import ArgumentParser

/// `sunk-bridge`: the receiver (`serve`), its administration (org, token, users, groups,
/// export, audit) and the node side (sync, getent, status).
@main
struct SunkBridgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sunk-bridge",
        abstract: "SCIM 2.0 receiver and node sync that turn IdP users into POSIX accounts and SSH keys.",
        version: SunkBridgeVersion.current,
        subcommands: [
            ServeCommand.self, OrgCommand.self, TokenCommand.self, UsersCommand.self, GroupsCommand.self,
            AuditCommand.self, ExportCommand.self, DoctorCommand.self, BackupCommand.self, MigrateStoreCommand.self,
            ConfigCommand.self,
        ] + NodeCommands.all + [SlurmCommandGroup.self])
}

// How a command reacts to configuration problems: warnings on stderr, errors on stderr and exit 1.
import ArgumentParser
import SunkConfig

extension SunkConfiguration {
    /// Prints the problems on stderr and exits 1 when any concerns this command (`ignoring` names
    /// key prefixes that only warn, e.g. `node.` for `serve`).
    func requireValid(command: String, ignoring ignored: [String] = []) throws {
        try report(triage(ignoring: ignored), command: command)
    }

    /// Prints the problems on stderr and exits 1 when any is `fatal`; the others are warnings.
    func requireValid(command: String, fatal: (ConfigProblem) -> Bool) throws {
        try report(triage(fatal: fatal), command: command)
    }

    private func report(_ triage: ConfigTriage, command: String) throws {
        for problem in triage.warnings {
            printError("sunk-bridge \(command): warning: configuration: \(problem)")
        }
        guard !triage.errors.isEmpty else { return }
        for problem in triage.errors { printError("sunk-bridge \(command): configuration: \(problem)") }
        printError("sunk-bridge \(command): fix the configuration (`sunk-bridge config check` explains each error)")
        throw ExitCode.failure
    }
}

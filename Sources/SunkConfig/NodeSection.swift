// `node.*`: checked with the rules `sync` applies to its flags (NodeSync's own checks).
import NodeSync
import SunkModel
import SunkSnapshot

extension ConfigLoader {
    static func readNode(_ values: inout ValueReader, into config: inout SunkConfiguration) {
        config.nodeRoot = values.string("node.root")
        config.nodeNSSFormat = values.string("node.nssFormat")
        if let format = config.nodeNSSFormat, NSSFormat(rawValue: format) == nil {
            values.problem("node.nssFormat", "\(quoted(format)) must be extrausers or cache")
        }
        config.nodeMaxDeletePercent = values.integer("node.maxDeletePercent")
        if let percent = config.nodeMaxDeletePercent, !(0...100).contains(percent) {
            values.problem("node.maxDeletePercent", "\(percent) must be between 0 and 100")
        }
        config.nodeCreateHomes = values.boolean("node.createHomes")
        config.nodeHomePrefixes = values.list("node.homePrefixes")
        if let prefixes = config.nodeHomePrefixes {
            if prefixes.isEmpty {
                values.problem("node.homePrefixes", "is empty: give at least one prefix, or remove the key for /home")
            }
            for prefix in prefixes {
                do throws(RuleViolation) {
                    _ = try PosixRules.homePrefix(prefix, attribute: "node.homePrefixes")
                } catch {
                    values.problem("node.homePrefixes", error.reason)
                }
            }
        }
        config.nodeFrom = values.string("node.from")
        if let from = config.nodeFrom {
            do throws(SyncError) { try HTTPSnapshotSource.check(url: from) } catch {
                values.problem("node.from", "\(error)")
            }
        }
        config.nodeTokenFile = values.string("node.tokenFile")
        config.nodeCAFile = values.string("node.caFile")
        config.nodeTrustKeyFile = values.string("node.trustKeyFile")
        if let trust = config.nodeTrustKeyFile {
            do throws(SnapshotError) { _ = try TrustedKeys.load(path: trust) } catch {
                values.problem("node.trustKeyFile", "\(error)")
            }
        }
        config.nodeSudoGroups = values.list("node.sudoGroups")
        for group in config.nodeSudoGroups ?? [] {
            do throws(RuleViolation) {
                _ = try Sudoers.validateGroupName(group, attribute: "node.sudoGroups")
            } catch {
                values.problem("node.sudoGroups", error.reason)
            }
        }
        config.nodeSudoNoPassword = values.boolean("node.sudoNoPassword")
        config.nodeTerminateSessions = values.boolean("node.terminateSessions")
        config.nodeOnLockExec = values.string("node.onLockExec")
        if let command = config.nodeOnLockExec, !(command.split(separator: " ").first?.hasPrefix("/") ?? false) {
            values.problem("node.onLockExec", "must start with an absolute path to the program")
        }
        config.nodeOnLockTimeout = values.integer("node.onLockTimeout")
    }
}

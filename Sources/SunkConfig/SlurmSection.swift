// `slurm.*`: checked with the rules `slurm sync` applies to its flags (SlurmSync's own checks).
import SlurmSync

extension ConfigLoader {
    static func readSlurm(_ values: inout ValueReader, walk: YAMLWalk, into config: inout SunkConfiguration) {
        config.slurmGroupPrefix = values.string("slurm.accounts.groupPrefix")
        config.slurmMaps = walk.maps["slurm.accounts.map"]
        config.slurmParent = values.string("slurm.accounts.parent")
        config.slurmDefaultAccount = values.string("slurm.accounts.defaultAccount")
        config.slurmOnRemove = values.string("slurm.onRemove")
        config.slurmCancelJobs = values.boolean("slurm.cancelJobs")
        config.slurmCluster = values.string("slurm.cluster")
        config.slurmMaxDeletePercent = values.integer("slurm.maxDeletePercent")
        if let percent = config.slurmMaxDeletePercent, !(0...100).contains(percent) {
            values.problem("slurm.maxDeletePercent", "\(percent) must be between 0 and 100")
        }
        if let removal = config.slurmOnRemove, SlurmRemoval(rawValue: removal) == nil {
            values.problem("slurm.onRemove", "\(quoted(removal)) must be block or delete")
        }
        if config.slurmGroupPrefix != nil || config.slurmMaps != nil || config.slurmDefaultAccount != nil
            || config.slurmParent != nil || config.slurmCluster != nil {
            let rules = SlurmAccountRules(groupPrefix: config.slurmGroupPrefix, maps: config.slurmMaps ?? [:],
                                          parent: config.slurmParent ?? "root",
                                          defaultAccount: config.slurmDefaultAccount, cluster: config.slurmCluster)
            do throws(SlurmSyncError) { try rules.validate() } catch {
                values.problem("slurm.accounts", error.description)
            }
        }
    }
}

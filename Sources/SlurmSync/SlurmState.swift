// What slurmdbd holds now, parsed from `sacctmgr -n -P show …` (one record a line, fields separated by `|`).

/// The marker on every account `slurm sync` creates: `Organization=sunk-bridge`. Ownership is decided
/// from Slurm's own data, so `sacctmgr show account format=Account,Descr,Org` tells an admin too.
public enum SlurmMarker {
    public static let organization = "sunk-bridge"
    public static let description = "sunk-bridge: managed"
}

/// One account record.
public struct SlurmAccount: Sendable, Equatable {
    public var name: String
    public var description: String
    public var organization: String
    public init(name: String, description: String, organization: String) {
        self.name = name
        self.description = description
        self.organization = organization
    }
    /// Created by `slurm sync` (and therefore the only kind it may change).
    public var isManaged: Bool { organization == SlurmMarker.organization }
}

/// One user association (cluster, account, user, partition) and its submit limit.
public struct SlurmAssociation: Sendable, Equatable, Hashable {
    public var cluster: String
    public var account: String
    public var user: String
    public var partition: String
    /// `MaxSubmitJobs`; nil when unlimited.
    public var maxSubmitJobs: Int?
    public init(cluster: String, account: String, user: String, partition: String = "", maxSubmitJobs: Int? = nil) {
        self.cluster = cluster
        self.account = account
        self.user = user
        self.partition = partition
        self.maxSubmitJobs = maxSubmitJobs
    }
    public var isBlocked: Bool { maxSubmitJobs == 0 }
}

/// The accounting state `slurm sync` compares with the snapshot.
public struct SlurmState: Sendable, Equatable {
    public var accounts: [String: SlurmAccount]
    /// User associations only (account-level associations, with an empty user, are left out).
    public var associations: [SlurmAssociation]
    /// User name → default account.
    public var defaultAccounts: [String: String]

    public init(accounts: [String: SlurmAccount] = [:], associations: [SlurmAssociation] = [],
                defaultAccounts: [String: String] = [:]) {
        self.accounts = accounts
        self.associations = associations
        self.defaultAccounts = defaultAccounts
    }

    /// The `sacctmgr` arguments (after `-n -P`) whose outputs `parse` reads, in that order.
    public static func queries(cluster: String?) -> [[String]] {
        [
            ["show", "account", "format=Account,Descr,Org"],
            ["show", "association"] + (cluster.map { ["where", "cluster=\($0)"] } ?? [])
                + ["format=Cluster,Account,User,Partition,MaxSubmit"],
            ["show", "user", "format=User,DefaultAccount"],
        ]
    }

    /// Parses the three outputs of `queries`. Every line must have the expected number of fields.
    public static func parse(accounts: String, associations: String, users: String) throws(SlurmSyncError) -> SlurmState {
        var state = SlurmState()
        for fields in try records(accounts, fields: 3, what: "show account") {
            state.accounts[fields[0]] = SlurmAccount(name: fields[0], description: fields[1], organization: fields[2])
        }
        for fields in try records(associations, fields: 5, what: "show association") where !fields[2].isEmpty {
            let limit: Int?
            if fields[4].isEmpty { limit = nil } else {
                guard let n = Int(fields[4]) else {
                    throw .parse("show association: MaxSubmit \"\(fields[4])\" is not a number")
                }
                limit = n
            }
            state.associations.append(SlurmAssociation(cluster: fields[0], account: fields[1], user: fields[2],
                                                       partition: fields[3], maxSubmitJobs: limit))
        }
        for fields in try records(users, fields: 2, what: "show user") {
            state.defaultAccounts[fields[0]] = fields[1]
        }
        return state
    }

    static func records(_ text: String, fields count: Int, what: String) throws(SlurmSyncError) -> [[String]] {
        var out: [[String]] = []
        for line in text.split(whereSeparator: \.isNewline) where !line.allSatisfy(\.isWhitespace) {
            // -P ends every line with the separator only when asked (`-p`); accept both.
            var fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            if fields.count == count + 1 && fields.last == "" { fields.removeLast() }
            guard fields.count == count else {
                throw .parse("\(what): expected \(count) fields separated by | but got \(fields.count) in \"\(line)\"")
            }
            out.append(fields)
        }
        return out
    }

    /// The clusters the associations belong to.
    public var clusters: Set<String> { Set(associations.map(\.cluster)) }
}

// `orgs.<name>.policy`: each org's patch, and the policy it makes checked as the server would
// check it (so `serve` never starts with a policy it would refuse over SCIM).
import SunkModel

extension ConfigLoader {
    static func readOrgs(_ values: inout ValueReader, walk: YAMLWalk, into config: inout SunkConfiguration) {
        for org in walk.orgNames.sorted() {
            let patch = values.policy(org: org)
            config.orgs.append((org, patch))
            do throws(RuleViolation) {
                try patch.applied(to: .default).validate()
            } catch {
                values.problem(values.policyKey(org: org, attribute: error.attribute), error.reason)
            }
        }
    }
}

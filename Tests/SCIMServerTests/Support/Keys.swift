import TestSupport

/// The SCIM tests' name for the shared SSH key builder.
typealias Keys = SSHKeys

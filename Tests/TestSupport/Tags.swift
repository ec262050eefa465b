import Testing

extension Tag {
    /// Runs a built executable (`sunk-bridge`, `sunk-authorized-keys`) or a script under Tests/e2e.
    @Tag public static var e2e: Self
    /// Needs root: mount or user namespaces, bind mounts, chown, real daemons.
    @Tag public static var root: Self
    /// Starts a real OpenSSH sshd.
    @Tag public static var sshd: Self
    /// Starts real Slurm daemons (munge, MariaDB, slurmdbd, slurmctld, slurmd).
    @Tag public static var slurm: Self
    /// Uses glibc NSS modules (libnss-extrausers, libnss-cache) in a private mount namespace.
    @Tag public static var nss: Self
    /// Kills or signals child processes at chosen moments (crash consistency, lifecycle).
    @Tag public static var crash: Self
    /// Starts a live HTTP(S) server on a socket (TLS, lifecycle, child processes talking to it).
    @Tag public static var live: Self
}

/// The version `sunk-bridge --version` prints (the Debian package's version; `make deb VERSION=…`).
enum SunkBridgeVersion {
    static let current = "0.1.0"
}

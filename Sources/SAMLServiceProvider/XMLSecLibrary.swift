import CXMLSec

/// libxml2 + libxmlsec1 (OpenSSL backend), initialised once for the process. A global `let` is
/// initialised lazily and atomically (swift_once), so any number of threads may race to the
/// first use.
enum XMLSecLibrary {
    private static let initialised: Int32 = cxmlsec_initialise()

    /// Throws when the libraries could not be initialised (a broken installation: the message says
    /// which packages provide them).
    static func ensure() throws(SAMLRefusal) {
        guard initialised == 0 else {
            throw .internalFailure("libxmlsec1 could not be initialised (code \(initialised)): check that "
                                   + "libxmlsec1-openssl and libxml2 are installed")
        }
    }
}

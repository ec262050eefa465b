// The certificate chain and private key `serve` terminates HTTPS with, read from PEM files and
// checked before they are used: at start-up and again on every SIGHUP reload.
import AuthorizedKeys
import Foundation
import NIOSSL

/// Why a certificate or key file cannot be used. The description names the file and says what to do.
public struct TLSFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Which of the two files the problem is about (a key that does not match counts as the key's).
    public enum Subject: Sendable { case certificate, key }
    public let subject: Subject
    public let description: String
    public init(_ subject: Subject, _ description: String) { self.subject = subject; self.description = description }
}

/// A parsed certificate chain (leaf first) and its private key, with the server context built
/// from them. Building the context also proves that the key belongs to the leaf certificate.
public struct TLSCredentials: Sendable {
    public let certificateFile: String
    public let keyFile: String
    public let chain: [NIOSSLCertificate]
    public let context: NIOSSLContext

    /// The leaf certificate's serial number in upper-case hex (as `openssl x509 -serial` prints it).
    public var serialHex: String {
        chain[0].serialNumber.map { String(format: "%02X", $0) }.joined()
    }

    /// The leaf certificate's expiry.
    public var notValidAfter: Date { Date(timeIntervalSince1970: TimeInterval(chain[0].notValidAfter)) }

    /// Reads and checks both files:
    /// - each must be a readable regular file (symlinks are followed, as certbot's `live/` uses them);
    /// - the key must not be accessible by group or others (mode 0600 or 0400);
    /// - the certificate file holds one or more PEM certificates, leaf first; the key file one PEM key;
    /// - the key must match the leaf certificate.
    public static func load(certificateFile: String, keyFile: String) throws(TLSFileError) -> TLSCredentials {
        let certificateBytes = try readFile(certificateFile, role: "certificate", ownerOnly: false)
        let keyBytes = try readFile(keyFile, role: "private key", ownerOnly: true)
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(certificateBytes)
        } catch {
            throw TLSFileError(.certificate, "TLS certificate \(certificateFile): not a PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else {
            throw TLSFileError(.certificate, "TLS certificate \(certificateFile): no PEM certificate found (expected -----BEGIN CERTIFICATE-----)")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: keyBytes, format: .pem)
        } catch {
            throw TLSFileError(.key, "TLS private key \(keyFile): not an unencrypted PEM private key (\(error))")
        }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSFileError(.key, "TLS private key \(keyFile) does not match certificate \(certificateFile), or they cannot be used (\(error))")
        }
        return TLSCredentials(certificateFile: certificateFile, keyFile: keyFile, chain: chain, context: context)
    }

    /// Reads a whole file after checking, on the open descriptor, that it is a regular file and (for
    /// keys) that no group or other permission bit is set.
    static func readFile(_ path: String, role: String, ownerOnly: Bool) throws(TLSFileError) -> [UInt8] {
        let subject: TLSFileError.Subject = ownerOnly ? .key : .certificate
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw TLSFileError(subject, "TLS \(role) \(path): cannot be read (\(SystemError.message(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw TLSFileError(subject, "TLS \(role) \(path): cannot be examined (\(SystemError.message(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw TLSFileError(subject, "TLS \(role) \(path): not a regular file")
        }
        if ownerOnly && (info.st_mode & 0o077) != 0 {
            let mode = String(info.st_mode & 0o7777, radix: 8)
            throw TLSFileError(subject,
                "TLS \(role) \(path) has mode 0\(mode): it must not be readable or writable by group or others; run chmod 600 \(path)")
        }
        switch SystemError.readAll(fd, limit: 1 << 20, chunk: 16384) {
        case .bytes(let bytes): return bytes
        case .failed(let code):
            throw TLSFileError(subject, "TLS \(role) \(path): read failed (\(SystemError.message(code)))")
        case .tooLarge:
            throw TLSFileError(subject, "TLS \(role) \(path): larger than 1 MiB, not a PEM file")
        }
    }
}

import ArgumentParser
import Foundation
import SAMLServiceProvider
import SunkConfig
import SunkStore

/// `sunk-bridge org saml show|set`: the console's SAML sign-in, the CLI side of the console's
/// SAML SSO page (the same store methods, the same checks, audited as `cli`).
struct OrgSAMLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saml", abstract: "The console's SAML sign-in through the org's IdP.",
        subcommands: [Show.self, Set.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the values to copy into the IdP (ACS URL, Entity ID, metadata URL) and the IdP's settings.")
        @OptionGroup var database: DatabaseOptions
        @Argument var org: String
        @Option(name: .customLong("public-url"),
                help: "The receiver's public base URL (default: server.publicURL from the configuration).")
        var publicURL: String?

        func run() async throws {
            let store = try await database.store(command: "org saml show")
            let settings = try await consoleCall { try await store.consoleSettings(org: org) }
            let configured = await ConfigLoader.load(flag: database.config).server(publicURL: publicURL).publicURL
            say(ConsoleDescription.render(org: org, settings: settings, publicURL: configured))
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the IdP the console signs in through (Okta: Sign-on URL, Issuer, Signing Certificate).")
        @OptionGroup var database: DatabaseOptions
        @Argument var org: String
        @Option(name: .customLong("sso-url"), help: "The IdP's single sign-on URL (https).") var ssoURL: String
        @Option(help: "The IdP's entity ID (Okta: Identity Provider Issuer).") var issuer: String
        @Option(name: .customLong("idp-cert"), help: "A file with the IdP's signing certificate (PEM).") var idpCert: String

        func run() async throws {
            let pem: String
            do { pem = try String(contentsOfFile: idpCert, encoding: .utf8) } catch {
                throw ValidationError("cannot read --idp-cert \(idpCert): \(error.localizedDescription)")
            }
            let store = try await database.store(command: "org saml set")
            let idp = ConsoleIdentityProvider(ssoURL: ssoURL, entityID: issuer, certificatePEM: pem)
            let settings = try await consoleCall {
                try await store.updateConsoleSettings(org: org, identityProvider: idp, adminGroup: nil, actor: "cli")
            }
            let configured = await ConfigLoader.load(flag: database.config).server().publicURL
            say(ConsoleDescription.render(org: org, settings: settings, publicURL: configured))
        }
    }
}

/// `sunk-bridge org admins add|remove|list ORG [EMAIL]`: console admins named by email.
struct OrgAdminsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admins", abstract: "Console admins of an org, by email (see also org set --console-admin-group).",
        subcommands: [Add.self, Remove.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let this email use the org's console.")
        @OptionGroup var database: DatabaseOptions
        @Argument var org: String
        @Argument var email: String

        func run() async throws {
            let store = try await database.store(command: "org admins add")
            try await consoleCall { try await store.addConsoleAdmin(org: org, email: email, actor: "cli") }
            say("console admin \(email.lowercased()) added to org \(org)")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop this email using the org's console (from its next sign-in).")
        @OptionGroup var database: DatabaseOptions
        @Argument var org: String
        @Argument var email: String

        func run() async throws {
            let store = try await database.store(command: "org admins remove")
            try await consoleCall { try await store.removeConsoleAdmin(org: org, email: email, actor: "cli") }
            say("console admin \(email.lowercased()) removed from org \(org)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the org's console admins and admin group.")
        @OptionGroup var database: DatabaseOptions
        @Argument var org: String

        func run() async throws {
            let store = try await database.store(command: "org admins list")
            let settings = try await consoleCall { try await store.consoleSettings(org: org) }
            for email in settings.adminEmails { say(email) }
            say("console admin group: " + (settings.adminGroup.map { "\"\($0)\"" } ?? "none"))
        }
    }
}

/// A store call whose refusal (`StoreError`) is printed as the command's error.
func consoleCall<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as StoreError {
        printError("sunk-bridge: \(error)")
        throw ExitCode.failure
    }
}

enum ConsoleDescription {
    static func render(org: String, settings: ConsoleSettings, publicURL: String?, now: Date = Date()) -> String {
        var lines = ["console sign-in of org \(org)", "", "copy into the IdP (SAML 2.0 app):"]
        if let publicURL, let sp = try? ServiceProviderSettings(publicURL: publicURL, organisation: org) {
            lines += ["  Single sign-on URL (ACS URL):   \(sp.acsURL)",
                      "  Audience URI (SP Entity ID):    \(sp.entityID)",
                      "  SP metadata:                    \(sp.metadataURL)"]
        } else {
            lines += ["  Single sign-on URL (ACS URL):   https://HOST/console/saml/\(org)/acs",
                      "  Audience URI (SP Entity ID):    https://HOST/console/saml/\(org)",
                      "  SP metadata:                    https://HOST/console/saml/\(org)/metadata",
                      "  (HOST: set server.publicURL in the configuration, or pass --public-url)"]
        }
        lines += ["  Attribute statements:           first_name, last_name, email", "", "identity provider:"]
        if let idp = settings.identityProvider {
            lines += ["  sso-url: \(idp.ssoURL)", "  issuer: \(idp.entityID)"]
            if let certificate = try? IdPCertificate(pem: idp.certificatePEM) {
                lines += ["  certificate subject: \(certificate.subject)",
                          "  certificate SHA-256: \(certificate.sha256Fingerprint)",
                          "  certificate expires: \(certificate.notAfter.formatted(.iso8601))"
                            + (certificate.isExpired(at: now) ? " (EXPIRED: ask the IdP for its new certificate)" : "")]
            } else {
                lines.append("  certificate: unreadable (set it again with --idp-cert)")
            }
        } else {
            lines.append("  not set: sunk-bridge org saml set \(org) --sso-url URL --issuer ID --idp-cert FILE")
        }
        lines += ["", "console admins: " + (settings.adminEmails.isEmpty ? "none" : settings.adminEmails.joined(separator: ", ")),
                  "console admin group: " + (settings.adminGroup.map { "\"\($0)\"" } ?? "none")]
        return lines.joined(separator: "\n")
    }
}

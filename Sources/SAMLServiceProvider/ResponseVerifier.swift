import CXMLSec
import Foundation

/// The one trust decision for an HTTP-POST SAMLResponse, in a fixed order (docs/saml.md): read
/// the document strictly, find the one signature SAML allows, check its shape, verify it with the
/// configured certificate only, then take the identity from nothing but the bytes that signature
/// covers, and check those against our settings, the clock, the pending requests and the replay
/// cache. The first failed check refuses with its reason.
struct ResponseVerifier {
    let settings: SAMLSettings
    let pending: PendingRequests
    let replay: ReplayCache

    func verify(_ samlResponse: String, allowIdPInitiated: Bool, now: Date) throws(SAMLRefusal) -> SAMLIdentity {
        let document = try XMLDocument(try Self.decode(samlResponse))
        let raw = document.root
        let N = SAMLNames.self

        // 1. What the document is, before anything is trusted.
        guard raw.is(N.protocolNS, "Response") else {
            throw .notAResponse("\(raw.namespace.map { "{\($0)}" } ?? "")\(raw.name)")
        }
        let statusCode = raw.child(N.protocolNS, "Status")?.child(N.protocolNS, "StatusCode")?.attribute("Value")
        guard statusCode == N.statusSuccess else {
            let message = raw.child(N.protocolNS, "Status")?.child(N.protocolNS, "StatusMessage")?.text
            throw .status(code: statusCode ?? "missing", message: message)
        }
        let everything = [raw] + raw.descendants
        if everything.contains(where: { $0.is(N.assertionNS, "EncryptedAssertion") }) { throw .encryptedAssertion }
        try Self.registerIDs(document, elements: everything)

        // 2. The one signature: the Response's own, else its single Assertion's.
        let (signatureNode, signedNode) = try Self.locateSignature(document.rootNode)
        let signature = XMLDocument.element(signatureNode)
        let signedElement = XMLDocument.element(signedNode)
        guard let signedID = signedElement.attribute("ID"), !signedID.isEmpty else {
            throw .signaturePlacement("the signed \(signedElement.name) has no ID")
        }

        // 3. Its shape, read before verifying so that a refusal names the exact cause.
        try Self.checkShape(signature, expectedURI: "#" + signedID)

        // 4. Verify with the configured certificate, nothing else; get the covered bytes.
        let covered = try verifySignature(document, signatureNode, expectedURI: "#" + signedID)

        // 5. From here on, only what the signature covers.
        let signed = try XMLDocument(covered).root
        guard signed.namespace == signedElement.namespace, signed.name == signedElement.name,
              signed.attribute("ID") == signedID else {
            throw .malformed("the signed bytes are not the signed \(signedElement.name)")
        }
        let response: XMLElement, assertion: XMLElement
        if signed.is(N.protocolNS, "Response") {
            let assertions = signed.children(N.assertionNS, "Assertion")
            guard assertions.count == 1 else { throw .assertionCount(assertions.count) }
            (response, assertion) = (signed, assertions[0])
        } else {
            (response, assertion) = (raw, signed)   // the Response's attributes are only ever used to refuse
        }
        let total = everything.filter { $0.is(N.assertionNS, "Assertion") }.count
        guard total == 1 else { throw .assertionCount(total) }
        return try checkAssertion(assertion, response: response, allowIdPInitiated: allowIdPInitiated, now: now)
    }

    // MARK: - the steps

    static func decode(_ form: String) throws(SAMLRefusal) -> [UInt8] {
        let compact = form.filter { !$0.isWhitespace }
        guard compact.utf8.count <= XMLDocument.maximumBytes * 4 / 3 + 4 else {
            throw .malformed("the SAMLResponse is larger than \(XMLDocument.maximumBytes) bytes")
        }
        guard let data = Data(base64Encoded: compact) else { throw .malformed("the SAMLResponse is not base64") }
        return Array(data)
    }

    /// Refuses a document in which two elements share an ID (`ID` or `xml:id`), then registers every
    /// `ID` attribute so that a Reference URI can resolve to it (xml:id the parser registered).
    static func registerIDs(_ document: XMLDocument, elements: [XMLElement]) throws(SAMLRefusal) {
        var seen = Set<String>()
        for element in elements {
            for a in element.attributes where (a.namespace == nil && a.name == "ID")
                || (a.namespace == SAMLNames.xmlNS && a.name == "id") {
                guard seen.insert(a.value).inserted else { throw .duplicateID(a.value) }
            }
        }
        for node in XMLDocument.elementNodes(document.rootNode) {
            var attr = node.pointee.properties
            while let a = attr {
                if a.pointee.ns == nil, String(cString: a.pointee.name) == "ID", cxmlsec_register_id(document.pointer, a) != 0 {
                    // an xml:id the parser registered already took this value
                    let value = xmlNodeListGetString(document.pointer, a.pointee.children, 1)
                    defer { cxmlsec_free(value) }
                    throw .duplicateID(value.map { String(cString: $0) } ?? "")
                }
                attr = a.pointee.next
            }
        }
    }

    /// The Response's ds:Signature child if it has one (it covers the Assertion too), else the
    /// ds:Signature child of its one Assertion child. Returns (Signature, signed element).
    static func locateSignature(_ root: xmlNodePtr) throws(SAMLRefusal) -> (xmlNodePtr, xmlNodePtr) {
        let N = SAMLNames.self
        let responseSignatures = childNodes(root, N.dsigNS, "Signature")
        if responseSignatures.count > 1 { throw .signaturePlacement("the Response has \(responseSignatures.count) signatures") }
        if let only = responseSignatures.first { return (only, root) }
        let assertions = childNodes(root, N.assertionNS, "Assertion")
        guard assertions.count == 1 else {
            throw assertions.isEmpty ? .unsigned : .assertionCount(assertions.count)
        }
        let assertionSignatures = childNodes(assertions[0], N.dsigNS, "Signature")
        guard assertionSignatures.count <= 1 else {
            throw .signaturePlacement("the Assertion has \(assertionSignatures.count) signatures")
        }
        guard let only = assertionSignatures.first else { throw .unsigned }
        return (only, assertions[0])
    }

    /// SignedInfo: exclusive canonicalisation; RSA/ECDSA with SHA-2; exactly one Reference, to the
    /// element holding the Signature; only enveloped-signature and exclusive c14n; a SHA-2 digest.
    static func checkShape(_ signature: XMLElement, expectedURI: String) throws(SAMLRefusal) {
        let D = SAMLNames.dsigNS
        guard let signedInfo = signature.child(D, "SignedInfo") else { throw .malformed("the Signature has no SignedInfo") }
        let c14n = signedInfo.child(D, "CanonicalizationMethod")?.attribute("Algorithm") ?? "missing"
        guard c14n == SAMLNames.exclusiveC14N else { throw .transformNotAllowed(c14n) }
        let method = signedInfo.child(D, "SignatureMethod")?.attribute("Algorithm") ?? "missing"
        guard SAMLNames.signatureMethods.contains(method) else { throw .weakAlgorithm(method) }
        let references = signedInfo.children(D, "Reference")
        guard references.count == 1 else { throw .referenceCount(references.count) }
        let reference = references[0]
        let uri = reference.attribute("URI") ?? ""
        guard uri == expectedURI else { throw .referenceMismatch(found: uri, expected: expectedURI) }
        for transform in reference.child(D, "Transforms")?.children(D, "Transform") ?? [] {
            let algorithm = transform.attribute("Algorithm") ?? "missing"
            guard algorithm == SAMLNames.envelopedSignature || algorithm == SAMLNames.exclusiveC14N else {
                throw .transformNotAllowed(algorithm)
            }
        }
        let digest = reference.child(D, "DigestMethod")?.attribute("Algorithm") ?? "missing"
        guard SAMLNames.digestMethods.contains(digest) else { throw .weakAlgorithm(digest) }
    }

    func verifySignature(_ document: XMLDocument, _ signature: xmlNodePtr,
                         expectedURI: String) throws(SAMLRefusal) -> [UInt8] {
        let pem = Array(settings.identityProvider.certificate.pem.utf8)
        var covered: UnsafeMutablePointer<UInt8>?
        var length = 0
        let code = pem.withUnsafeBufferPointer { p in
            cxmlsec_verify(document.pointer, signature, p.baseAddress, p.count, expectedURI, &covered, &length)
        }
        defer { free(covered) }
        switch code {
        case Int32(CXMLSEC_VERIFIED):
            guard let covered, length > 0 else { throw .internalFailure("xmlsec returned no signed bytes") }
            return Array(UnsafeBufferPointer(start: covered, count: length))
        case Int32(CXMLSEC_INVALID):
            throw .signatureInvalid("signature or digest mismatch")
        case Int32(CXMLSEC_PROCESSING):
            throw .signatureInvalid("xmlsec could not process the signature")
        case Int32(CXMLSEC_REFERENCE_COUNT), Int32(CXMLSEC_REFERENCE_URI):
            // the shape check saw one Reference to expectedURI; xmlsec disagreeing means the document
            // is not what it seemed
            throw .signatureInvalid("xmlsec verified a different reference than the one checked")
        case Int32(CXMLSEC_KEY_UNUSABLE):
            throw .internalFailure("the configured IdP certificate could not be loaded as a key")
        default:
            throw .internalFailure("xmlsec failed (code \(code))")
        }
    }

    /// Issuer, Destination, Audience, validity times, bearer confirmation, then the one-time state:
    /// replay cache and pending request.
    func checkAssertion(_ assertion: XMLElement, response: XMLElement, allowIdPInitiated: Bool,
                        now: Date) throws(SAMLRefusal) -> SAMLIdentity {
        let A = SAMLNames.assertionNS
        let sp = settings.serviceProvider, idp = settings.identityProvider, skew = settings.clockSkew
        let issuer = assertion.child(A, "Issuer")?.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard issuer == idp.entityID else { throw .issuer(found: issuer, expected: idp.entityID) }
        if let responseIssuer = response.child(A, "Issuer")?.text.trimmingCharacters(in: .whitespacesAndNewlines),
           responseIssuer != idp.entityID {
            throw .issuer(found: responseIssuer, expected: idp.entityID)
        }
        if let destination = response.attribute("Destination"), destination != sp.acsURL {
            throw .destination(found: destination, expected: sp.acsURL)
        }
        guard let assertionID = assertion.attribute("ID"), !assertionID.isEmpty else {
            throw .malformed("the Assertion has no ID")
        }

        let conditions = assertion.child(A, "Conditions")
        let restrictions = conditions?.children(A, "AudienceRestriction") ?? []
        let audiences = restrictions.flatMap { $0.children(A, "Audience") }.map {
            $0.text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // every AudienceRestriction must name us (SAML core 2.5.1.4), and there must be one
        guard !restrictions.isEmpty, restrictions.allSatisfy({ r in
            r.children(A, "Audience").contains { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) == sp.entityID }
        }) else { throw .audience(found: audiences, expected: sp.entityID) }

        var validUntil = now
        if let text = conditions?.attribute("NotBefore") {
            let notBefore = try Self.time(text)
            guard notBefore <= now.addingTimeInterval(skew) else { throw .notYetValid(text) }
        }
        if let text = conditions?.attribute("NotOnOrAfter") {
            let notOnOrAfter = try Self.time(text)
            guard now.addingTimeInterval(-skew) < notOnOrAfter else { throw .expired(text) }
            validUntil = max(validUntil, notOnOrAfter)
        }

        guard let subject = assertion.child(A, "Subject"),
              let nameIDElement = subject.child(A, "NameID") else { throw .subject("no Subject NameID") }
        let nameID = nameIDElement.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !nameID.isEmpty else { throw .subject("an empty NameID") }
        let bearers = subject.children(A, "SubjectConfirmation").filter { $0.attribute("Method") == SAMLNames.bearer }
        guard !bearers.isEmpty else { throw .subject("no bearer SubjectConfirmation") }
        // at least one bearer confirmation must hold; report the first one's failure otherwise
        var confirmation: (data: XMLElement, until: Date)?
        var firstFailure: SAMLRefusal?
        for bearer in bearers {
            do throws(SAMLRefusal) {
                confirmation = try Self.checkBearer(bearer, acsURL: sp.acsURL, now: now, skew: skew)
                break
            } catch {
                firstFailure = firstFailure ?? error
            }
        }
        guard let confirmation else { throw firstFailure! }
        validUntil = max(validUntil, confirmation.until)

        if replay.contains(assertionID, now: now) { throw .replayed(assertionID) }

        let answered = confirmation.data.attribute("InResponseTo")
        let responseAnswered = response.attribute("InResponseTo")
        if let answered, let responseAnswered, answered != responseAnswered {
            throw .inResponseTo(found: responseAnswered, detail: "while its assertion answers \(answered)")
        }
        if let requestID = answered ?? responseAnswered {
            switch pending.consume(requestID, now: now) {
            case .consumed: break
            case .unknown: throw .inResponseTo(found: requestID, detail: "which this server did not send or already saw answered")
            case .expired: throw .inResponseTo(found: requestID, detail: "which expired before the answer came")
            }
        } else if !allowIdPInitiated {
            throw .unsolicited
        }

        switch replay.remember(assertionID, until: validUntil.addingTimeInterval(skew), now: now) {
        case .remembered: break
        case .seen: throw .replayed(assertionID)
        case .full: throw .replayCacheFull
        }

        var attributes: [String: [String]] = [:]
        for statement in assertion.children(A, "AttributeStatement") {
            for attribute in statement.children(A, "Attribute") {
                guard let name = attribute.attribute("Name") else { continue }
                attributes[name, default: []] += attribute.children(A, "AttributeValue").map(\.text)
            }
        }
        return SAMLIdentity(nameID: nameID, nameIDFormat: nameIDElement.attribute("Format"),
                            sessionIndex: assertion.child(A, "AuthnStatement")?.attribute("SessionIndex"),
                            assertionID: assertionID, inResponseTo: answered ?? responseAnswered,
                            attributes: attributes)
    }

    /// A bearer SubjectConfirmationData: Recipient = our ACS URL, NotOnOrAfter (required) not
    /// passed, NotBefore (if any) reached.
    static func checkBearer(_ bearer: XMLElement, acsURL: String, now: Date,
                            skew: TimeInterval) throws(SAMLRefusal) -> (data: XMLElement, until: Date) {
        guard let data = bearer.child(SAMLNames.assertionNS, "SubjectConfirmationData") else {
            throw .recipient(found: nil, expected: acsURL)
        }
        let recipient = data.attribute("Recipient")
        guard recipient == acsURL else { throw .recipient(found: recipient, expected: acsURL) }
        if let text = data.attribute("NotBefore") {
            guard try time(text) <= now.addingTimeInterval(skew) else { throw .notYetValid(text) }
        }
        guard let text = data.attribute("NotOnOrAfter") else {
            throw .subject("a bearer confirmation without NotOnOrAfter")
        }
        let until = try time(text)
        guard now.addingTimeInterval(-skew) < until else { throw .expired(text) }
        return (data, until)
    }

    static func time(_ text: String) throws(SAMLRefusal) -> Date {
        guard let date = SAMLTime.parse(text) else { throw .malformed("\"\(text)\" is not an xs:dateTime") }
        return date
    }

    static func childNodes(_ node: xmlNodePtr, _ namespace: String, _ name: String) -> [xmlNodePtr] {
        var result: [xmlNodePtr] = []
        var child = node.pointee.children
        while let c = child {
            if c.pointee.type == XML_ELEMENT_NODE, String(cString: c.pointee.name) == name,
               let ns = c.pointee.ns, String(cString: ns.pointee.href) == namespace {
                result.append(c)
            }
            child = c.pointee.next
        }
        return result
    }
}

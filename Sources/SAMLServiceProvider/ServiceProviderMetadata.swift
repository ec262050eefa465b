/// The SP metadata document served at `/console/saml/ORG/metadata`: an EntityDescriptor with one
/// SPSSODescriptor (signed assertions wanted, unsigned requests) and one HTTP-POST
/// AssertionConsumerService at the ACS URL.
public enum ServiceProviderMetadata {
    public static let contentType = "application/samlmetadata+xml"

    public static func xml(for sp: ServiceProviderSettings) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <md:EntityDescriptor xmlns:md="\(SAMLNames.metadataNS)" entityID="\(XMLEscape.attribute(sp.entityID))">
          <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" \
        protocolSupportEnumeration="\(SAMLNames.protocolNS)">
            <md:NameIDFormat>\(SAMLNames.nameIDEmail)</md:NameIDFormat>
            <md:AssertionConsumerService Binding="\(SAMLNames.httpPostBinding)" \
        Location="\(XMLEscape.attribute(sp.acsURL))" index="0" isDefault="true"/>
          </md:SPSSODescriptor>
        </md:EntityDescriptor>

        """
    }
}

import CXMLSec

/// An element of a parsed XML document as plain values: its namespace, local name, attributes,
/// child elements and text. The SAML checks read these, never libxml2 pointers.
struct XMLElement: Sendable {
    struct Attribute: Sendable {
        var namespace: String?
        var name: String
        var value: String
    }

    var namespace: String?
    var name: String
    var attributes: [Attribute]
    var children: [XMLElement]
    /// The element's own text and CDATA children joined (comments are not text).
    var text: String

    /// The value of the attribute `name` in no namespace.
    func attribute(_ name: String) -> String? {
        attributes.first { $0.namespace == nil && $0.name == name }?.value
    }

    /// Child elements named `name` in `namespace`.
    func children(_ namespace: String, _ name: String) -> [XMLElement] {
        children.filter { $0.namespace == namespace && $0.name == name }
    }

    func child(_ namespace: String, _ name: String) -> XMLElement? { children(namespace, name).first }

    func `is`(_ namespace: String, _ name: String) -> Bool { self.namespace == namespace && self.name == name }

    /// Every element below this one (not itself), depth first.
    var descendants: [XMLElement] { children.flatMap { [$0] + $0.descendants } }
}

/// A libxml2 document, parsed strictly: no network, no DTD (a DOCTYPE is refused, so no entities
/// and no DTD-declared IDs), at most `maximumBytes`.
final class XMLDocument {
    static let maximumBytes = 1 << 20
    let pointer: xmlDocPtr

    /// Parses `bytes`; throws `.malformed` with what is wrong.
    init(_ bytes: [UInt8]) throws(SAMLRefusal) {
        try XMLSecLibrary.ensure()
        guard !bytes.isEmpty, bytes.count <= Self.maximumBytes else {
            throw .malformed("the XML is empty or larger than \(Self.maximumBytes) bytes")
        }
        let doc = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                cxmlsec_parse($0, Int32(buffer.count))
            }
        }
        guard let doc else { throw .malformed("the XML is not well-formed") }
        guard xmlGetIntSubset(doc) == nil else {
            xmlFreeDoc(doc)
            throw .malformed("the XML has a DOCTYPE; SAML messages never do")
        }
        guard xmlDocGetRootElement(doc) != nil else {
            xmlFreeDoc(doc)
            throw .malformed("the XML has no root element")
        }
        pointer = doc
    }

    deinit { xmlFreeDoc(pointer) }

    var rootNode: xmlNodePtr { xmlDocGetRootElement(pointer)! }

    /// The root element and everything below it as values.
    var root: XMLElement { Self.element(rootNode) }

    static func element(_ node: xmlNodePtr) -> XMLElement {
        var attributes: [XMLElement.Attribute] = []
        var attr = node.pointee.properties
        while let a = attr {
            let value = xmlNodeListGetString(node.pointee.doc, a.pointee.children, 1)
            attributes.append(.init(namespace: a.pointee.ns.map { string($0.pointee.href) },
                                    name: string(a.pointee.name), value: value.map { string($0) } ?? ""))
            cxmlsec_free(value)
            attr = a.pointee.next
        }
        var children: [XMLElement] = []
        var text = ""
        var child = node.pointee.children
        while let c = child {
            switch c.pointee.type {
            case XML_ELEMENT_NODE: children.append(element(c))
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE: if let content = c.pointee.content { text += string(content) }
            default: break
            }
            child = c.pointee.next
        }
        return XMLElement(namespace: node.pointee.ns.map { string($0.pointee.href) }, name: string(node.pointee.name),
                          attributes: attributes, children: children, text: text)
    }

    /// Element nodes below `node` (and itself), depth first, for the steps that need libxml2's nodes.
    static func elementNodes(_ node: xmlNodePtr) -> [xmlNodePtr] {
        var result = [node]
        var child = node.pointee.children
        while let c = child {
            if c.pointee.type == XML_ELEMENT_NODE { result += elementNodes(c) }
            child = c.pointee.next
        }
        return result
    }

    private static func string(_ p: UnsafePointer<xmlChar>?) -> String {
        guard let p else { return "" }
        return String(cString: p)
    }
}

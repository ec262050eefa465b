#!/usr/bin/env python3
"""A real SAML 2.0 identity provider for the SAML service provider tests: pysaml2 (PyPI) builds the
messages, Debian's xmlsec1 binary signs them. Nothing here trusts or verifies the SP under test
beyond what pysaml2 itself does with an AuthnRequest.

  idp.py keys DIR NAME              RSA 2048 key and self-signed certificate: DIR/NAME.key, DIR/NAME.crt
  idp.py respond [options]          prints one JSON line: {"request": {...} or null, "SAMLResponse": base64}
  idp.py serve [options] --port 0   a loopback HTTP IdP: GET /sso?SAMLRequest=...&RelayState=... answers an
                                    HTML form that auto-posts the SAMLResponse to the request's ACS URL;
                                    prints "listening on http://127.0.0.1:PORT" first

`respond` takes the SP's metadata (--sp-metadata) and either the SP's HTTP-Redirect URL (--request-url:
pysaml2 decodes and checks the AuthnRequest, and answers it) or nothing (an IdP-initiated response to
--acs/--audience). --variant builds the attacks the SP must refuse (see VARIANTS).
"""
import argparse
import atexit
import base64
import html
import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.parse
import uuid
import warnings
from http.server import BaseHTTPRequestHandler, HTTPServer
from xml.dom import minidom

warnings.filterwarnings("ignore")  # pysaml2's own deprecation noise on stderr
from saml2 import BINDING_HTTP_REDIRECT
from saml2 import xmldsig as ds
from saml2.config import IdPConfig
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server
from saml2.sigver import pre_signature_part

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
XENC = "http://www.w3.org/2001/04/xmlenc#"

# One attribute map, identity for the names the Okta guide configures (first_name, last_name, email)
# and groups, in the basic name format Okta uses: they go out under those names, not as OIDs.
NAMES = ["first_name", "last_name", "email", "groups"]
EMPTY_MAPS = tempfile.mkdtemp(prefix="idp-maps-")
atexit.register(shutil.rmtree, EMPTY_MAPS, True)
with open(os.path.join(EMPTY_MAPS, "basic.py"), "w") as _f:
    _pairs = {n: n for n in NAMES}
    _f.write("MAP = " + repr({"identifier": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
                              "fro": _pairs, "to": _pairs}) + "\n")

VARIANTS = {
    "none": "the genuine signed response",
    "unsigned": "no signature at all",
    "evil-before": "an unsigned evil Assertion before the signed one (signed Assertion)",
    "evil-beside-signed-response": "an evil Assertion added after the signed Response's own (signed Response)",
    "extensions": "the signed Assertion moved into samlp:Extensions; an evil one carrying a copy of its "
                  "Signature in its place (signed Assertion)",
    "object": "an evil Assertion in the signed one's place whose Signature copy holds the original in a "
              "ds:Object (signed Assertion)",
    "wrap-response": "an evil Response wrapping the signed Response in its Signature's ds:Object (signed Response)",
    "signature-object": "an evil Assertion in a ds:Object inside the signed Response's own Signature, which the "
                        "enveloped-signature transform leaves out of the digest (signed Response)",
    "duplicate-id": "an evil Assertion with the signed one's ID and a copy of its Signature, the original "
                    "moved into Extensions (signed Assertion)",
    "comment-in-nameid": "an XML comment inserted into the NameID after signing (canonicalisation drops it)",
    "encrypted": "the Assertion replaced by an EncryptedAssertion",
}


def die(message):
    print(f"idp.py: {message}", file=sys.stderr)
    sys.exit(2)


def make_keys(directory, name):
    os.makedirs(directory, exist_ok=True)
    key, crt = os.path.join(directory, name + ".key"), os.path.join(directory, name + ".crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "30",
                    "-subj", f"/CN=test IdP {name}", "-keyout", key, "-out", crt],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(crt)


def idp_server(args):
    conf = {
        "entityid": args.entity_id,
        "service": {"idp": {
            "endpoints": {"single_sign_on_service": [(args.sso_url, BINDING_HTTP_REDIRECT)]},
            "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
            "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None,
                                   "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"}},
        }},
        "key_file": args.key, "cert_file": args.cert,
        "metadata": {"local": [args.sp_metadata]},
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "delete_tmpfiles": True,
        "attribute_map_dir": EMPTY_MAPS,
    }
    config = IdPConfig()
    config.load(conf)
    return Server(config=config)


def children(node, ns, local):
    return [c for c in node.childNodes
            if c.nodeType == c.ELEMENT_NODE and c.namespaceURI == ns and c.localName == local]


def first(node, ns, local):
    found = node.getElementsByTagNameNS(ns, local)
    if not found:
        die(f"no {local} in the response")
    return found[0]


def set_text(node, text):
    while node.firstChild:
        node.removeChild(node.firstChild)
    node.appendChild(node.ownerDocument.createTextNode(text))


def insert_signature_template(doc, element, ident, args):
    """A ds:Signature template right after the element's Issuer, as the schema puts it."""
    with open(args.signing_cert) as f:
        pem_body = "".join(line.strip() for line in f if not line.startswith("-----"))
    sig = pre_signature_part(ident, public_key=pem_body, sign_alg=args.sign_alg_uri, digest_alg=args.digest_alg_uri)
    node = doc.importNode(minidom.parseString(str(sig)).documentElement, True)
    issuer = children(element, SAML, "Issuer")
    element.insertBefore(node, issuer[0].nextSibling if issuer else element.firstChild)


def xmlsec_sign(xml, node_name, node_id, key):
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
        f.write(xml)
    try:
        r = subprocess.run(["/usr/bin/xmlsec1", "--sign", "--privkey-pem", key, "--id-attr:ID", node_name,
                            "--node-id", node_id, f.name], capture_output=True)
    finally:
        os.unlink(f.name)
    if r.returncode != 0:
        die("xmlsec1 --sign failed: " + r.stderr.decode())
    return r.stdout.decode()


# The attacks that start from a signed Response, and those that start from a signed Assertion.
SIGNED_PART = {"evil-beside-signed-response": "response", "wrap-response": "response", "signature-object": "response",
               "evil-before": "assertion", "extensions": "assertion", "object": "assertion",
               "duplicate-id": "assertion"}


def build_response(idp, args, request):
    args.sign = SIGNED_PART.get(args.variant, args.sign)
    if request is not None:
        in_response_to, destination, audience = request["id"], request["acs"], request["issuer"]
    else:
        in_response_to, destination, audience = None, args.acs, args.audience
    destination = args.destination or destination
    identity = {"first_name": [args.first_name], "last_name": [args.last_name], "email": [args.email]}
    if args.groups:
        identity["groups"] = args.groups.split(",")
    response = idp.create_authn_response(
        identity, in_response_to, destination, args.sp_entity_id or audience,
        name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=args.email),
        authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
        sign_response=False, sign_assertion=False)
    doc = minidom.parseString(str(response))
    root = doc.documentElement
    # edits a real IdP could have signed (misconfigured or hostile IdP)
    if args.audience_override:
        set_text(first(root, SAML, "Audience"), args.audience_override)
    if args.recipient:
        first(root, SAML, "SubjectConfirmationData").setAttribute("Recipient", args.recipient)
    if args.in_response_to is not None:
        for el in [root, first(root, SAML, "SubjectConfirmationData")]:
            el.setAttribute("InResponseTo", args.in_response_to)
    xml = doc.toxml()
    if args.variant == "unsigned":
        return xml
    key = args.signing_key
    assertion = first(root, SAML, "Assertion")
    a_id, r_id = assertion.getAttribute("ID"), root.getAttribute("ID")
    if args.sign in ("assertion", "both"):
        insert_signature_template(doc, assertion, a_id, args)
        xml = xmlsec_sign(doc.toxml(), f"{SAML}:Assertion", a_id, key)
        doc = minidom.parseString(xml)
    if args.sign in ("response", "both"):
        insert_signature_template(doc, doc.documentElement, r_id, args)
        xml = xmlsec_sign(doc.toxml(), f"{SAMLP}:Response", r_id, key)
        doc = minidom.parseString(xml)
    return attack(doc, args.variant).toxml()


def evil_copy(doc, assertion, keep_id=False):
    """The signed Assertion's twin for another user: a new ID (unless kept), NameID and email changed."""
    evil = assertion.cloneNode(True)
    if not keep_id:
        evil.setAttribute("ID", "_evil" + uuid.uuid4().hex)
    for n in evil.getElementsByTagNameNS(SAML, "NameID"):
        set_text(n, "evil@attacker.example")
    for sig in children(evil, DSIG, "Signature"):
        evil.removeChild(sig)
    return evil


def extensions(doc, root):
    """samlp:Extensions where the schema puts it (after Issuer and Signature), created when absent."""
    ext = children(root, SAMLP, "Extensions")
    if ext:
        return ext[0]
    ext = doc.createElementNS(SAMLP, root.prefix + ":Extensions" if root.prefix else "Extensions")
    status = children(root, SAMLP, "Status")
    root.insertBefore(ext, status[0] if status else root.firstChild)
    return ext


def attack(doc, variant):
    root = doc.documentElement
    assertion = children(root, SAML, "Assertion")[0] if children(root, SAML, "Assertion") else None
    if variant == "none":
        return doc
    if variant == "evil-before":
        root.insertBefore(evil_copy(doc, assertion), assertion)
    elif variant == "evil-beside-signed-response":
        root.appendChild(evil_copy(doc, assertion))
    elif variant in ("extensions", "duplicate-id"):
        evil = evil_copy(doc, assertion, keep_id=(variant == "duplicate-id"))
        sig = children(assertion, DSIG, "Signature")[0]
        issuer = children(evil, SAML, "Issuer")[0]
        evil.insertBefore(sig.cloneNode(True), issuer.nextSibling)
        root.replaceChild(evil, assertion)
        extensions(doc, root).appendChild(assertion)
    elif variant == "object":
        evil = evil_copy(doc, assertion)
        sig = children(assertion, DSIG, "Signature")[0].cloneNode(True)
        obj = doc.createElementNS(DSIG, (sig.prefix + ":" if sig.prefix else "") + "Object")
        sig.appendChild(obj)
        issuer = children(evil, SAML, "Issuer")[0]
        evil.insertBefore(sig, issuer.nextSibling)
        root.replaceChild(evil, assertion)
        obj.appendChild(assertion)
    elif variant == "wrap-response":
        original = root
        evil_root = original.cloneNode(False)
        evil_root.setAttribute("ID", "_evilresponse" + uuid.uuid4().hex)
        for child in original.childNodes:
            is_sig = child.nodeType == child.ELEMENT_NODE and child.namespaceURI == DSIG
            is_assertion = child.nodeType == child.ELEMENT_NODE and child.localName == "Assertion"
            if is_sig:
                sig = child.cloneNode(True)
                obj = doc.createElementNS(DSIG, (sig.prefix + ":" if sig.prefix else "") + "Object")
                sig.appendChild(obj)
                evil_root.appendChild(sig)
            elif is_assertion:
                evil_root.appendChild(evil_copy(doc, child))
            else:
                evil_root.appendChild(child.cloneNode(True))
        doc.replaceChild(evil_root, original)
        obj.appendChild(original)
    elif variant == "signature-object":
        sig = children(root, DSIG, "Signature")[0]
        obj = doc.createElementNS(DSIG, (sig.prefix + ":" if sig.prefix else "") + "Object")
        obj.appendChild(evil_copy(doc, assertion))
        sig.appendChild(obj)
    elif variant == "comment-in-nameid":
        name_id = first(root, SAML, "NameID")
        text = name_id.firstChild.data
        at = text.index("@")
        set_text(name_id, "")
        name_id.removeChild(name_id.firstChild)
        name_id.appendChild(doc.createTextNode(text[:at + 1]))
        name_id.appendChild(doc.createComment(""))
        name_id.appendChild(doc.createTextNode(text[at + 1:]))
    elif variant == "encrypted":
        enc = doc.createElementNS(SAML, (assertion.prefix + ":" if assertion.prefix else "") + "EncryptedAssertion")
        data = doc.createElementNS(XENC, "xenc:EncryptedData")
        data.setAttribute("xmlns:xenc", XENC)
        data.appendChild(doc.createTextNode("opaque"))
        enc.appendChild(data)
        root.replaceChild(enc, assertion)
    else:
        die(f"unknown variant {variant}")
    return doc


def parse_request(idp, request_url):
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request_url).query)
    if "SAMLRequest" not in query:
        die("the request URL has no SAMLRequest")
    req = idp.parse_authn_request(query["SAMLRequest"][0], BINDING_HTTP_REDIRECT)
    m = req.message
    return {"id": m.id, "acs": m.assertion_consumer_service_url, "issuer": m.issuer.text,
            "destination": m.destination, "protocol_binding": m.protocol_binding,
            "issue_instant": m.issue_instant, "relay_state": query.get("RelayState", [None])[0]}


SIG_ALGS = {"rsa-sha256": ds.SIG_RSA_SHA256, "rsa-sha1": ds.SIG_RSA_SHA1, "rsa-sha512": ds.SIG_RSA_SHA512}
DIGEST_ALGS = {"sha256": ds.DIGEST_SHA256, "sha1": ds.DIGEST_SHA1, "sha512": ds.DIGEST_SHA512}


def common_options(p):
    p.add_argument("--dir", required=True, help="the folder of `keys` (NAME.key, NAME.crt)")
    p.add_argument("--entity-id", required=True, help="the IdP's entity ID (Issuer)")
    p.add_argument("--sso-url", required=True,
                   help="the IdP's SSO URL (the AuthnRequest's Destination); `serve --sso-url auto`: its own /sso")
    p.add_argument("--sp-metadata", required=True, help="the SP's metadata XML file")
    p.add_argument("--key-name", default="idp", help="the key the IdP is configured with")
    p.add_argument("--sign-with", default=None, help="sign with this key instead (a wrong certificate)")
    p.add_argument("--sign", choices=["response", "assertion", "both"], default="response")
    p.add_argument("--sign-alg", choices=sorted(SIG_ALGS), default="rsa-sha256")
    p.add_argument("--digest-alg", choices=sorted(DIGEST_ALGS), default="sha256")
    p.add_argument("--email", default="ada@example.com")
    p.add_argument("--first-name", default="Ada")
    p.add_argument("--last-name", default="Lovelace")
    p.add_argument("--groups", default="", help="comma-separated `groups` attribute values")


def finish_options(args):
    args.key = os.path.join(args.dir, args.key_name + ".key")
    args.cert = os.path.join(args.dir, args.key_name + ".crt")
    signer = args.sign_with or args.key_name
    args.signing_key = os.path.join(args.dir, signer + ".key")
    args.signing_cert = os.path.join(args.dir, signer + ".crt")
    args.sign_alg_uri = SIG_ALGS[args.sign_alg]
    args.digest_alg_uri = DIGEST_ALGS[args.digest_alg]


def respond(args):
    idp = idp_server(args)
    request = parse_request(idp, args.request_url) if args.request_url else None
    if request is None and not (args.acs and args.audience):
        die("respond needs --request-url, or --acs and --audience for an IdP-initiated response")
    xml = build_response(idp, args, request)
    print(json.dumps({"request": request, "SAMLResponse": base64.b64encode(xml.encode()).decode()}))


def serve(args):
    httpd = HTTPServer(("127.0.0.1", args.port), None)
    if args.sso_url == "auto":   # this server's own /sso, once the port is known
        args.sso_url = f"http://127.0.0.1:{httpd.server_address[1]}/sso"
    idp = idp_server(args)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if urllib.parse.urlsplit(self.path).path != "/sso":
                self.send_error(404)
                return
            try:
                request = parse_request(idp, self.path)
                xml = build_response(idp, args, request)
            except SystemExit:
                self.send_error(400)
                return
            except Exception as e:  # pysaml2 refused the request: answer like an IdP would
                self.send_error(400, explain=str(e))
                return
            fields = {"SAMLResponse": base64.b64encode(xml.encode()).decode()}
            if request["relay_state"] is not None:
                fields["RelayState"] = request["relay_state"]
            inputs = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}"/>' for k, v in fields.items())
            page = (f'<!doctype html><html><body onload="document.forms[0].submit()">'
                    f'<form method="post" action="{html.escape(request["acs"])}">{inputs}'
                    f'<noscript><button type="submit">Continue</button></noscript></form></body></html>')
            body = page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *a):
            print(fmt % a, file=sys.stderr)

    httpd.RequestHandlerClass = Handler
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))   # so that atexit removes the scratch maps
    print(f"listening on http://127.0.0.1:{httpd.server_address[1]}", flush=True)
    httpd.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    k = sub.add_parser("keys")
    k.add_argument("dir")
    k.add_argument("name")
    r = sub.add_parser("respond")
    common_options(r)
    r.add_argument("--request-url", help="the SP's HTTP-Redirect URL carrying SAMLRequest")
    r.add_argument("--acs", help="IdP-initiated: where the response goes (Destination, Recipient)")
    r.add_argument("--audience", help="IdP-initiated: the SP entity ID (Audience)")
    r.add_argument("--destination", help="send to this Destination/Recipient instead of the request's ACS")
    r.add_argument("--recipient", help="overwrite SubjectConfirmationData Recipient before signing")
    r.add_argument("--audience-override", help="overwrite Audience before signing")
    r.add_argument("--sp-entity-id", help=argparse.SUPPRESS)
    r.add_argument("--in-response-to", help="overwrite InResponseTo before signing")
    r.add_argument("--variant", choices=sorted(VARIANTS), default="none")
    s = sub.add_parser("serve")
    common_options(s)
    s.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.command == "keys":
        make_keys(args.dir, args.name)
        return
    finish_options(args)
    if args.command == "serve":
        args.destination = args.recipient = args.audience_override = args.in_response_to = None
        args.sp_entity_id = None
        args.variant = "none"
        serve(args)
    else:
        respond(args)


if __name__ == "__main__":
    main()

// Debian's libxmlsec1 (OpenSSL backend), libxml2, OpenSSL's X.509 reader and zlib, for
// SAMLServiceProvider. The few helpers below exist because these steps are C-shaped (pointer
// walks, macros Swift does not import, libxml2's xmlFree being a variable); every decision stays
// in Swift.
#ifndef CXMLSEC_SHIM_H
#define CXMLSEC_SHIM_H

// SwiftPM drops -D flags from pkg-config's output ("prohibited flags"), but these, from
// xmlsec1-openssl.pc, change xmlsec's struct layouts (XMLSEC_NO_SIZE_T makes xmlSecSize an
// unsigned int) and which backend its headers describe: repeated here, before any xmlsec header.
// SAMLServiceProviderTests checks that this list still matches `pkg-config --cflags xmlsec1-openssl`.
#define __XMLSEC_FUNCTION__ __func__
#define XMLSEC_NO_SIZE_T
#define XMLSEC_OPENSSL3_ENGINES 1
#define XMLSEC_NO_GOST 1
#define XMLSEC_NO_GOST2012 1
#define XMLSEC_NO_CRYPTO_DYNAMIC_LOADING 1
#define XMLSEC_CRYPTO_OPENSSL 1

#include <string.h>
#include <stdlib.h>
#include <time.h>
// Debian builds libxml2 with ICU, so its encoding.h would include the system's <unicode/ucnv.h>,
// whose declarations clash with Foundation's own copy of ICU in the same Swift module. Nothing
// here uses libxml2's ICU converter (xmlCharEncodingHandler's ICU fields, only ever reached
// through pointers), so its headers are read as if ICU were off.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/transforms.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/pem.h>
#include <openssl/evp.h>
#include <zlib.h>

/// libxml2's xmlFree is a function-pointer variable; this is a plain function.
static inline void cxmlsec_free(void *p) { if (p) xmlFree(p); }

/// Initialises libxml2, xmlsec and its OpenSSL backend. 0 on success. Call once (Swift does,
/// through a lazily initialised global).
static inline int cxmlsec_initialise(void) {
    xmlInitParser();
    if (xmlSecInit() < 0) return -1;
    if (xmlSecCheckVersion() != 1) return -2;
    if (xmlSecOpenSSLAppInit(NULL) < 0) return -3;
    if (xmlSecOpenSSLInit() < 0) return -4;
    // errors come back as return codes and status; the library's own stderr lines would only
    // be noise in a server's log
    xmlSecErrorsDefaultCallbackEnableOutput(0);
    return 0;
}

/// Parses XML from memory: no network, no DTD loading, no entity substitution, no error output.
static inline xmlDocPtr cxmlsec_parse(const char *bytes, int length) {
    return xmlReadMemory(bytes, length, "saml.xml", NULL,
                         XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

/// Registers `attribute` (an ID attribute of its element) as an XML ID of `doc`, so that a
/// Reference URI "#value" resolves to its element. 0 on success, -1 when the value is taken.
static inline int cxmlsec_register_id(xmlDocPtr doc, xmlAttrPtr attribute) {
    xmlChar *value = xmlNodeListGetString(doc, attribute->children, 1);
    if (value == NULL) return -1;
    int result = 0;
    if (xmlGetID(doc, value) != NULL || xmlAddID(NULL, doc, value, attribute) == NULL) result = -1;
    xmlFree(value);
    return result;
}

/// Outcomes of cxmlsec_verify.
enum {
    CXMLSEC_VERIFIED = 0,
    CXMLSEC_KEY_UNUSABLE = -1,      // the configured certificate could not be loaded as a key
    CXMLSEC_CONTEXT = -2,           // out of memory
    CXMLSEC_PROCESSING = -3,        // xmlsec refused the Signature (transform, algorithm, URI, structure)
    CXMLSEC_INVALID = -4,           // the signature or the digest does not match
    CXMLSEC_REFERENCE_COUNT = -5,   // not exactly one Reference
    CXMLSEC_REFERENCE_URI = -6,     // the Reference is not the expected URI
    CXMLSEC_NO_BUFFER = -7          // no pre-digest buffer stored
};

/// Verifies the ds:Signature `signature` of `doc` with the key of the PEM certificate `pem` and
/// nothing else (no keys manager: KeyInfo in the document is never read). Only same-document
/// references; only the listed transforms and algorithms. On success, `*covered` (malloc'd,
/// free with free()) holds the exact bytes the one Reference digested: the canonical form of
/// the referenced element, and `*coveredLength` their count.
static inline int cxmlsec_verify(xmlDocPtr doc, xmlNodePtr signature, const unsigned char *pem, size_t pemLength,
                                 const char *expectedURI, unsigned char **covered, size_t *coveredLength) {
    *covered = NULL; *coveredLength = 0;
    xmlSecKeyPtr key = xmlSecOpenSSLAppKeyLoadMemory(pem, (xmlSecSize)pemLength, xmlSecKeyDataFormatCertPem,
                                                     NULL, NULL, NULL);
    if (key == NULL) return CXMLSEC_KEY_UNUSABLE;
    xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
    if (ctx == NULL) { xmlSecKeyDestroy(key); return CXMLSEC_CONTEXT; }
    ctx->signKey = key;   // owned by ctx from here
    ctx->flags = XMLSEC_DSIG_FLAGS_STORE_SIGNEDINFO_REFERENCES;
    ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
    int setup = 0;
    // Reference: the two transforms, then the digest
    setup |= xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformEnvelopedGetKlass());
    setup |= xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformExclC14NGetKlass());
    setup |= xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecOpenSSLTransformSha256GetKlass());
    setup |= xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecOpenSSLTransformSha384GetKlass());
    setup |= xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecOpenSSLTransformSha512GetKlass());
    // SignedInfo: its canonicalisation, then the signature method
    setup |= xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformExclC14NGetKlass());
    setup |= xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecOpenSSLTransformRsaSha256GetKlass());
    setup |= xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecOpenSSLTransformRsaSha384GetKlass());
    setup |= xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecOpenSSLTransformRsaSha512GetKlass());
    setup |= xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecOpenSSLTransformEcdsaSha256GetKlass());
    setup |= xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecOpenSSLTransformEcdsaSha384GetKlass());
    setup |= xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecOpenSSLTransformEcdsaSha512GetKlass());
    if (setup != 0) { xmlSecDSigCtxDestroy(ctx); return CXMLSEC_CONTEXT; }

    int result = CXMLSEC_VERIFIED;
    if (xmlSecDSigCtxVerify(ctx, signature) < 0) result = CXMLSEC_PROCESSING;
    else if (ctx->status != xmlSecDSigStatusSucceeded) result = CXMLSEC_INVALID;
    else if (xmlSecPtrListGetSize(&ctx->signedInfoReferences) != 1) result = CXMLSEC_REFERENCE_COUNT;
    else {
        xmlSecDSigReferenceCtxPtr ref = (xmlSecDSigReferenceCtxPtr)xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0);
        if (ref == NULL || ref->status != xmlSecDSigStatusSucceeded) result = CXMLSEC_INVALID;
        else if (ref->uri == NULL || strcmp((const char *)ref->uri, expectedURI) != 0) result = CXMLSEC_REFERENCE_URI;
        else {
            xmlSecBufferPtr buffer = xmlSecDSigReferenceCtxGetPreDigestBuffer(ref);
            if (buffer == NULL || xmlSecBufferGetSize(buffer) == 0) result = CXMLSEC_NO_BUFFER;
            else {
                size_t n = (size_t)xmlSecBufferGetSize(buffer);
                *covered = (unsigned char *)malloc(n);
                if (*covered == NULL) result = CXMLSEC_CONTEXT;
                else { memcpy(*covered, xmlSecBufferGetData(buffer), n); *coveredLength = n; }
            }
        }
    }
    xmlSecDSigCtxDestroy(ctx);
    return result;
}

/// What SAMLServiceProvider needs from an X.509 certificate.
typedef struct {
    int keyType;                 // 1 RSA, 2 EC, 0 anything else
    int keyBits;
    long long notBefore;         // seconds since 1970, UTC
    long long notAfter;
    char subject[512];           // RFC 2253
    unsigned char sha256[32];    // of the DER encoding
} cxmlsec_certificate;

/// Reads the first PEM certificate of `pem`. 0 on success.
static inline int cxmlsec_read_certificate(const char *pem, int length, cxmlsec_certificate *out) {
    memset(out, 0, sizeof *out);
    BIO *bio = BIO_new_mem_buf(pem, length);
    if (bio == NULL) return -1;
    X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (cert == NULL) return -1;
    int result = 0;
    EVP_PKEY *key = X509_get0_pubkey(cert);
    if (key == NULL) result = -2;
    else {
        int id = EVP_PKEY_get_base_id(key);
        out->keyType = id == EVP_PKEY_RSA ? 1 : id == EVP_PKEY_EC ? 2 : 0;
        out->keyBits = EVP_PKEY_get_bits(key);
    }
    struct tm tm;
    if (result == 0 && ASN1_TIME_to_tm(X509_get0_notBefore(cert), &tm) == 1) out->notBefore = timegm(&tm);
    else result = -3;
    if (result == 0 && ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1) out->notAfter = timegm(&tm);
    else result = -3;
    BIO *name = BIO_new(BIO_s_mem());
    if (result == 0 && name != NULL) {
        X509_NAME_print_ex(name, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
        int n = BIO_read(name, out->subject, (int)sizeof out->subject - 1);
        out->subject[n > 0 ? n : 0] = 0;
    }
    if (name) BIO_free(name);
    unsigned char *der = NULL;
    int derLength = i2d_X509(cert, &der);
    if (result == 0 && (derLength <= 0 || EVP_Digest(der, (size_t)derLength, out->sha256, NULL, EVP_sha256(), NULL) != 1))
        result = -4;
    OPENSSL_free(der);
    X509_free(cert);
    return result;
}

/// Raw DEFLATE (RFC 1951, no zlib header), as the HTTP-Redirect binding wants. Returns the
/// compressed length, or -1 when `capacity` is too small.
static inline long cxmlsec_raw_deflate(const unsigned char *input, size_t length, unsigned char *output, size_t capacity) {
    z_stream s;
    memset(&s, 0, sizeof s);
    if (deflateInit2(&s, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -1;
    s.next_in = (Bytef *)input; s.avail_in = (uInt)length;
    s.next_out = output; s.avail_out = (uInt)capacity;
    int r = deflate(&s, Z_FINISH);
    long produced = (long)s.total_out;
    deflateEnd(&s);
    return r == Z_STREAM_END ? produced : -1;
}

#endif

package signing

import "crypto"

// Namespaces, matched by URI, never by prefix.
const (
	nsSOAP11  = "http://schemas.xmlsoap.org/soap/envelope/"
	nsWSSE    = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	nsWSU     = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	nsDSig    = "http://www.w3.org/2000/09/xmldsig#"
	nsExcC14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
	nsXRoad   = "http://x-road.eu/xsd/xroad.xsd"
	nsRepr    = "http://x-road.eu/xsd/representation.xsd"
)

// Token types of the X.509 Certificate Token Profile 1.1, section 3.1.
const (
	valueTypeX509v3    = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
	encodingTypeBase64 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)

// Algorithm identifiers (XML-DSig 1.1 section 6; RFC 6931).
const (
	algExcC14N     = "http://www.w3.org/2001/10/xml-exc-c14n#"
	algEnveloped   = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
	algSHA1        = "http://www.w3.org/2000/09/xmldsig#sha1"
	algSHA256      = "http://www.w3.org/2001/04/xmlenc#sha256"
	algSHA512      = "http://www.w3.org/2001/04/xmlenc#sha512"
	algRSASHA1     = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	algRSASHA256   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	algECDSASHA1   = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1"
	algECDSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
)

// signatureAlgorithm is one allowed SignatureMethod.
type signatureAlgorithm struct {
	hash  crypto.Hash
	ecdsa bool // false: RSASSA-PKCS1-v1_5
}

// signatureAlgorithms is the allow-list of SignatureMethod URIs. The SHA-1
// forms pass it but are refused later unless the member is configured legacy.
var signatureAlgorithms = map[string]signatureAlgorithm{
	algRSASHA256:   {crypto.SHA256, false},
	algECDSASHA256: {crypto.SHA256, true},
	algRSASHA1:     {crypto.SHA1, false},
	algECDSASHA1:   {crypto.SHA1, true},
}

// digestAlgorithms is the allow-list of DigestMethod URIs, SHA-1 as above.
var digestAlgorithms = map[string]crypto.Hash{
	algSHA256: crypto.SHA256,
	algSHA1:   crypto.SHA1,
}

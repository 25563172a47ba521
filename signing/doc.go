// Package signing implements the WS-Security 1.1 X.509 Token Profile as
// Darbaza's profile narrows it (docs/protocol.md, "Signatures"):
// verification of signed SOAP 1.1 requests, signing of responses, the trust
// store that binds X-Road members to certificates, Exclusive XML
// Canonicalization 1.0 and key handling.
//
// The profile, in short (OASIS WS-Security 1.1 SOAP Message Security and
// X.509 Certificate Token Profile; W3C XML-DSig 1.1; W3C Exc-C14N 1.0):
//
//   - one wsse:Security header holding one wsse:BinarySecurityToken (an X.509
//     v3 certificate, base64), one wsu:Timestamp and one ds:Signature whose
//     KeyInfo is a wsse:SecurityTokenReference to that token;
//   - CanonicalizationMethod and every reference transform are Exclusive C14N
//     1.0 without comments (InclusiveNamespaces PrefixList honoured,
//     "#default" included); the enveloped-signature transform is tolerated;
//   - SignatureMethod rsa-sha256 (RSA >= 2048 bits) or ecdsa-sha256 (P-256,
//     value as raw r||s per RFC 4050 / RFC 6931); DigestMethod sha256; the
//     SHA-1 forms only for members configured as legacy;
//   - references by "#id" to a wsu:Id or a bare Id attribute.
//
// Digests are computed over the referenced elements in place in the parsed
// document, so Verified.Covers answers by pointer identity which elements the
// signature really protects; handlers must read only those.
package signing

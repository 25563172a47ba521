package certificate

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/beevik/etree"

	"github.com/darbaza/darbaza/signing"
	"github.com/darbaza/darbaza/soap"
)

// The algorithms of the enveloped signature (XML-DSig 1.1), the only ones
// [Verify] accepts.
const (
	nsDSig         = "http://www.w3.org/2000/09/xmldsig#"
	algExcC14N     = "http://www.w3.org/2001/10/xml-exc-c14n#"
	algEnveloped   = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
	algSHA256      = "http://www.w3.org/2001/04/xmlenc#sha256"
	algRSASHA256   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	algECDSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
)

// Signature errors of [Verify].
var (
	ErrUnsigned     = errors.New("certificate: no signature, or more than one")
	ErrAlgorithm    = errors.New("certificate: signature outside the profile (algorithms, transforms, references)")
	ErrBadSignature = errors.New("certificate: signature does not verify")
	ErrWrongSigner  = errors.New("certificate: signed by another key than the trusted one")
)

// signXML appends to doc's root an enveloped ds:Signature over the whole
// document (Reference URI "": enveloped-signature, then Exclusive C14N
// 1.0; SHA-256), made with key (RSA >= 2048 bits or ECDSA P-256, value as
// raw r||s, RFC 4050), with cert in KeyInfo/X509Data. rnd feeds ECDSA;
// nil means crypto/rand.
func signXML(doc *etree.Document, key crypto.Signer, cert *x509.Certificate, rnd io.Reader) error {
	method, ecdsaSize, err := methodOf(key.Public())
	if err != nil {
		return err
	}
	if pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(cert.PublicKey) {
		return fmt.Errorf("certificate: the document-signing key does not match its certificate")
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	root := doc.Root()
	c14n, err := signing.Canonicalize(root, nil)
	if err != nil {
		return err
	}
	digest := sha256.Sum256(c14n)

	sig := root.CreateElement("ds:Signature")
	sig.CreateAttr("xmlns:ds", nsDSig)
	si := sig.CreateElement("ds:SignedInfo")
	si.CreateElement("ds:CanonicalizationMethod").CreateAttr("Algorithm", algExcC14N)
	si.CreateElement("ds:SignatureMethod").CreateAttr("Algorithm", method)
	ref := si.CreateElement("ds:Reference")
	ref.CreateAttr("URI", "")
	tr := ref.CreateElement("ds:Transforms")
	tr.CreateElement("ds:Transform").CreateAttr("Algorithm", algEnveloped)
	tr.CreateElement("ds:Transform").CreateAttr("Algorithm", algExcC14N)
	ref.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", algSHA256)
	ref.CreateElement("ds:DigestValue").SetText(base64.StdEncoding.EncodeToString(digest[:]))
	value := sig.CreateElement("ds:SignatureValue")
	sig.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").
		SetText(base64.StdEncoding.EncodeToString(cert.Raw))

	siC14N, err := signing.Canonicalize(si, nil)
	if err != nil {
		root.RemoveChild(sig)
		return err
	}
	sum := sha256.Sum256(siC14N)
	raw, err := key.Sign(rnd, sum[:], crypto.SHA256)
	if err != nil {
		root.RemoveChild(sig)
		return fmt.Errorf("certificate: signing: %w", err)
	}
	if ecdsaSize > 0 {
		var rs struct{ R, S *big.Int }
		if rest, err := asn1.Unmarshal(raw, &rs); err != nil || len(rest) != 0 {
			root.RemoveChild(sig)
			return fmt.Errorf("certificate: the ECDSA signer returned a malformed signature")
		}
		raw = make([]byte, 2*ecdsaSize)
		rs.R.FillBytes(raw[:ecdsaSize])
		rs.S.FillBytes(raw[ecdsaSize:])
	}
	value.SetText(base64.StdEncoding.EncodeToString(raw))
	return nil
}

// methodOf returns the SignatureMethod for pub, and for ECDSA the size of
// each half of the raw value.
func methodOf(pub crypto.PublicKey) (string, int, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 || n > 8192 {
			return "", 0, fmt.Errorf("%w: RSA key of %d bits", ErrAlgorithm, n)
		}
		return algRSASHA256, 0, nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return "", 0, fmt.Errorf("%w: ECDSA on %s, want P-256", ErrAlgorithm, k.Curve.Params().Name)
		}
		return algECDSASHA256, 32, nil
	}
	return "", 0, fmt.Errorf("%w: key type %T", ErrAlgorithm, pub)
}

// Verified is a certificate whose signature verified: its content, read
// from exactly the bytes the signature covers, and the certificate of the
// key that signed it.
type Verified struct {
	Certificate
	Signer *x509.Certificate
}

// Verify checks the XML certificate raw and returns its content. The
// signature must be the one profile signXML makes: exactly one ds:Signature,
// the last child of the root, with Exclusive C14N, one Reference URI ""
// whose transforms are exactly enveloped-signature then Exclusive C14N,
// SHA-256, and rsa-sha256 or ecdsa-sha256; everything is checked before any
// cryptography. The key is that of trusted when trusted is not nil (the
// certificate in KeyInfo must then be trusted itself), else that of the
// certificate in KeyInfo, which the caller must then judge by
// [Verified].Signer. Since the reference covers the whole document, the
// content read afterwards is exactly what was signed.
func Verify(raw []byte, trusted *x509.Certificate) (Verified, error) {
	doc, err := soap.ParseXML(raw, soap.Limits{MaxBytes: 1 << 20})
	if err != nil {
		return Verified{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	root := doc.Root()
	if root == nil {
		return Verified{}, fmt.Errorf("%w: no root element", ErrMalformed)
	}
	var sigs []*etree.Element
	for _, el := range root.FindElements("//Signature") {
		if el.NamespaceURI() == nsDSig {
			sigs = append(sigs, el)
		}
	}
	kids := root.ChildElements()
	if len(sigs) != 1 || sigs[0].Parent() != root || kids[len(kids)-1] != sigs[0] {
		return Verified{}, fmt.Errorf("%w: want one ds:Signature, the root's last child", ErrUnsigned)
	}
	sig := sigs[0]
	si, value, signer, err := readSignature(sig)
	if err != nil {
		return Verified{}, err
	}
	if trusted != nil {
		if !bytes.Equal(signer.Raw, trusted.Raw) {
			return Verified{}, ErrWrongSigner
		}
		signer = trusted
	}
	method, _, err := methodOf(signer.PublicKey)
	if err != nil {
		return Verified{}, err
	}
	if got := si.SelectElement("SignatureMethod").SelectAttrValue("Algorithm", ""); got != method {
		return Verified{}, fmt.Errorf("%w: SignatureMethod %s for a %T key", ErrAlgorithm, got, signer.PublicKey)
	}

	// SignedInfo first, then the digest of the document without the
	// signature (the enveloped-signature transform).
	siC14N, err := signing.Canonicalize(si, nil)
	if err != nil {
		return Verified{}, err
	}
	if err := verifyValue(signer.PublicKey, siC14N, value); err != nil {
		return Verified{}, err
	}
	want, err := base64.StdEncoding.DecodeString(strings.TrimSpace(si.FindElement("Reference/DigestValue").Text()))
	if err != nil {
		return Verified{}, fmt.Errorf("%w: DigestValue: %w", ErrMalformed, err)
	}
	root.RemoveChild(sig)
	c14n, err := signing.Canonicalize(root, nil)
	if err != nil {
		return Verified{}, err
	}
	if sum := sha256.Sum256(c14n); !bytes.Equal(sum[:], want) {
		return Verified{}, fmt.Errorf("%w: the content's digest differs", ErrBadSignature)
	}
	c, err := parse(root)
	if err != nil {
		return Verified{}, err
	}
	return Verified{Certificate: c, Signer: signer}, nil
}

// readSignature checks the structure of sig against the profile and
// returns SignedInfo, the signature value and the KeyInfo certificate.
func readSignature(sig *etree.Element) (si *etree.Element, value []byte, cert *x509.Certificate, err error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrAlgorithm, fmt.Sprintf(format, a...))
	}
	kids := sig.ChildElements()
	if len(kids) != 3 || kids[0].Tag != "SignedInfo" || kids[1].Tag != "SignatureValue" || kids[2].Tag != "KeyInfo" {
		return nil, nil, nil, bad("ds:Signature must hold SignedInfo, SignatureValue, KeyInfo")
	}
	si = kids[0]
	parts := si.ChildElements()
	if len(parts) != 3 || parts[0].Tag != "CanonicalizationMethod" || parts[1].Tag != "SignatureMethod" || parts[2].Tag != "Reference" {
		return nil, nil, nil, bad("SignedInfo must hold CanonicalizationMethod, SignatureMethod and one Reference")
	}
	if a := parts[0].SelectAttrValue("Algorithm", ""); a != algExcC14N || len(parts[0].ChildElements()) != 0 {
		return nil, nil, nil, bad("CanonicalizationMethod %s", a)
	}
	ref := parts[2]
	if uri := ref.SelectAttr("URI"); uri == nil || uri.Value != "" {
		return nil, nil, nil, bad("the Reference must have URI \"\" (the whole document)")
	}
	var transforms []string
	for _, t := range ref.FindElements("Transforms/Transform") {
		if len(t.ChildElements()) != 0 {
			return nil, nil, nil, bad("a Transform with parameters")
		}
		transforms = append(transforms, t.SelectAttrValue("Algorithm", ""))
	}
	if len(transforms) != 2 || transforms[0] != algEnveloped || transforms[1] != algExcC14N {
		return nil, nil, nil, bad("transforms %v, want enveloped-signature then Exclusive C14N", transforms)
	}
	if dm := ref.FindElement("DigestMethod"); dm == nil || dm.SelectAttrValue("Algorithm", "") != algSHA256 {
		return nil, nil, nil, bad("DigestMethod must be SHA-256")
	}
	if ref.FindElement("DigestValue") == nil {
		return nil, nil, nil, bad("no DigestValue")
	}
	value, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(kids[1].Text()), ""))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: SignatureValue: %w", ErrMalformed, err)
	}
	certs := kids[2].FindElements("X509Data/X509Certificate")
	if len(certs) != 1 {
		return nil, nil, nil, bad("KeyInfo must hold one X509Data/X509Certificate")
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(certs[0].Text()), ""))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: X509Certificate: %w", ErrMalformed, err)
	}
	cert, err = x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: X509Certificate: %w", ErrMalformed, err)
	}
	return si, value, cert, nil
}

// verifyValue checks value over the canonical SignedInfo (ECDSA as raw
// r||s, XML-DSig 1.1 §6.4.3).
func verifyValue(pub crypto.PublicKey, signedInfo, value []byte) error {
	digest := sha256.Sum256(signedInfo)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], value) != nil {
			return ErrBadSignature
		}
		return nil
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		if len(value) != 2*size {
			return ErrBadSignature
		}
		r, s := new(big.Int).SetBytes(value[:size]), new(big.Int).SetBytes(value[size:])
		if !ecdsa.Verify(k, digest[:], r, s) {
			return ErrBadSignature
		}
		return nil
	}
	return fmt.Errorf("%w: key type %T", ErrAlgorithm, pub)
}

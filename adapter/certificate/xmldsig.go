package certificate

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/beevik/etree"

	"github.com/darbaza/darbaza/signing"
	"github.com/darbaza/darbaza/soap"
)

// The algorithms of the enveloped signature (XML-DSig 1.1), the only ones
// [Verify] accepts.
const (
	nsDSig       = "http://www.w3.org/2000/09/xmldsig#"
	algExcC14N   = signing.AlgExcC14N
	algEnveloped = signing.AlgEnveloped
	algSHA256    = signing.AlgSHA256
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
	method, err := signing.SignatureMethod(key.Public())
	if err != nil {
		return fmt.Errorf("%w: %w", ErrAlgorithm, err)
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
	raw, err := signing.SignatureValue(key, rnd, siC14N)
	if err != nil {
		root.RemoveChild(sig)
		return fmt.Errorf("certificate: %w", err)
	}
	value.SetText(base64.StdEncoding.EncodeToString(raw))
	return nil
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
	method, err := signing.SignatureMethod(signer.PublicKey)
	if err != nil {
		return Verified{}, fmt.Errorf("%w: %w", ErrAlgorithm, err)
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
	if err := signing.VerifySignatureValue(signer.PublicKey, method, siC14N, value); err != nil {
		if errors.Is(err, signing.ErrBadSignature) {
			return Verified{}, ErrBadSignature
		}
		return Verified{}, fmt.Errorf("%w: %w", ErrAlgorithm, err)
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

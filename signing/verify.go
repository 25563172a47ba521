package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// Defaults of Policy's zero fields.
const (
	DefaultMaxSkew       = 5 * time.Minute
	DefaultMaxAge        = 15 * time.Minute
	DefaultMaxReferences = 16
)

// Policy decides whether a signed message is accepted. Its zero fields take
// the defaults above; it is safe for concurrent use once set up.
type Policy struct {
	Trust         *TrustStore
	MaxSkew       time.Duration    // allowed clock difference for Created/Expires; 0 = DefaultMaxSkew
	MaxAge        time.Duration    // Created must be newer than Now-MaxAge-MaxSkew; 0 = DefaultMaxAge
	MaxReferences int              // most ds:Reference elements read; 0 = DefaultMaxReferences
	Now           func() time.Time // nil = time.Now

	tokens tokenCache // parsed BinarySecurityTokens; a Policy must not be copied once used
}

func (p *Policy) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Verified is what a successful check establishes; handlers may rely on it
// and on nothing else of the message's security header.
type Verified struct {
	Certificate     *x509.Certificate
	Fingerprint     string // lower-case hex SHA-256 of the certificate DER
	Member          string // the member the certificate is bound to; "" after CheckPinned
	SignatureMethod string // algorithm URI
	Created         time.Time
	Expires         time.Time
	Signed          []*etree.Element // the referenced elements, in SignedInfo order

	covered map[*etree.Element]struct{}
}

// Covers reports whether el, by identity (the very *etree.Element of the
// checked document), was digested by a verified reference: it is a
// referenced element or inside one (the Signature an enveloped-signature
// transform leaves out is not covered).
func (v *Verified) Covers(el *etree.Element) bool {
	if v == nil || el == nil {
		return false
	}
	_, ok := v.covered[el]
	return ok
}

// Check verifies the single WS-Security signature in doc, a SOAP 1.1
// envelope as soap.ParseXML returns it, for a request claiming to come from
// client (the xrd:client identifier in TrustStore form). It refuses, each
// with its own sentinel error, anything the profile of the package comment
// does not allow; the certificate must be valid now and bound to client in
// p.Trust; the wsu:Timestamp must be fresh (MaxSkew, MaxAge) and covered,
// and so must every element of required (the caller passes the Envelope's own
// Body and every X-Road header it will read). All algorithm checks happen
// before any cryptography.
func (p *Policy) Check(doc *etree.Document, client string, required []*etree.Element) (*Verified, error) {
	if p.Trust == nil {
		return nil, fmt.Errorf("%w: the policy has no trust store", ErrUntrustedCertificate)
	}
	return p.check(doc, required, func(cert *x509.Certificate) (string, bool, error) {
		members := p.Trust.Members(cert)
		switch {
		case len(members) == 0:
			return "", false, fmt.Errorf("%w: %s (%s)", ErrUntrustedCertificate, cert.Subject, Fingerprint(cert))
		case !slices.Contains(members, client):
			return "", false, fmt.Errorf("%w: it does not sign for %q", ErrCertificateWrongMember, client)
		}
		return client, p.Trust.LegacySHA1(client), nil
	})
}

// CheckPinned is Check for a message that must be signed with exactly the
// certificate cert (compared by DER), as a client checks a response against
// the provider's known certificate. SHA-1 forms are never allowed.
func (p *Policy) CheckPinned(doc *etree.Document, cert *x509.Certificate, required []*etree.Element) (*Verified, error) {
	return p.check(doc, required, func(got *x509.Certificate) (string, bool, error) {
		if cert == nil || !got.Equal(cert) {
			return "", false, fmt.Errorf("%w: signed by %s (%s), not the expected certificate", ErrUntrustedCertificate, got.Subject, Fingerprint(got))
		}
		return "", false, nil
	})
}

// binder decides whom a certificate signs for and whether SHA-1 is allowed.
type binder func(cert *x509.Certificate) (member string, legacySHA1 bool, err error)

func (p *Policy) check(doc *etree.Document, required []*etree.Element, bind binder) (*Verified, error) {
	if doc == nil {
		return nil, fmt.Errorf("%w: no document", ErrMalformed)
	}
	env := doc.Root()
	header, _, err := envelopeParts(env)
	if err != nil {
		return nil, err
	}
	idx, err := indexDocument(env)
	if err != nil {
		return nil, err
	}
	sec, err := findSecurity(header, idx)
	if err != nil {
		return nil, err
	}
	sig, err := parseSignature(sec.signature, orDefault(p.MaxReferences, DefaultMaxReferences))
	if err != nil {
		return nil, err
	}
	switch tok := idx.ids[sig.tokenID]; {
	case tok == nil:
		return nil, fmt.Errorf("%w: token #%s", ErrUnknownID, sig.tokenID)
	case tok != sec.token:
		return nil, fmt.Errorf("%w: SecurityTokenReference does not point to the BinarySecurityToken of this Security header", ErrMalformed)
	}
	for i := range sig.refs {
		r := &sig.refs[i]
		if r.target = idx.ids[r.id]; r.target == nil {
			return nil, fmt.Errorf("%w: #%s", ErrUnknownID, r.id)
		}
	}
	cert, fingerprint, cached, err := p.tokens.parse(sec.token)
	if err != nil {
		return nil, err
	}
	if err := checkKey(cert.PublicKey, sig.method); err != nil {
		return nil, err
	}
	now := p.now()
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return nil, fmt.Errorf("%w: valid from %s to %s", ErrCertificateNotValidNow,
			cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339))
	}
	member, legacy, err := bind(cert)
	if err != nil {
		return nil, err
	}
	if !cached {
		p.tokens.keep(sec.token, cert, fingerprint)
	}
	if sig.usesSHA1() && !legacy {
		return nil, ErrSHA1NotAllowed
	}
	created, expires, err := p.checkTimestamp(sec.timestamp, now)
	if err != nil {
		return nil, err
	}

	// Digest every reference in place, recording what each really covers.
	v := &Verified{
		Certificate:     cert,
		Fingerprint:     fingerprint,
		Member:          member,
		SignatureMethod: sig.methodURI,
		Created:         created,
		Expires:         expires,
		covered:         map[*etree.Element]struct{}{},
	}
	record := func(el *etree.Element) { v.covered[el] = struct{}{} }
	sums := make([][]byte, len(sig.refs))
	for i, r := range sig.refs {
		var exclude *etree.Element
		if r.enveloped {
			exclude = sec.signature
		}
		h := digestAlgorithms[r.digestURI].New()
		if err := canonicalize(r.target, r.prefixes, exclude, record, func(b []byte) { h.Write(b) }); err != nil {
			return nil, err
		}
		sums[i] = h.Sum(nil)
		v.Signed = append(v.Signed, r.target)
	}
	if !v.Covers(sec.timestamp) {
		return nil, fmt.Errorf("%w: wsu:Timestamp", ErrNotCovered)
	}
	for _, el := range required {
		if !v.Covers(el) {
			what := "a nil element"
			if el != nil {
				what = qname(el)
			}
			return nil, fmt.Errorf("%w: %s", ErrNotCovered, what)
		}
	}
	for i, r := range sig.refs {
		if subtle.ConstantTimeCompare(sums[i], r.digestValue) != 1 {
			return nil, fmt.Errorf("%w: #%s", ErrDigestMismatch, r.id)
		}
	}

	// Verified over the SignedInfo's canonical bytes as written here, never
	// re-read: the buffer goes back to the pool right after.
	var verr error
	if err := canonicalize(sig.signedInfo, sig.prefixes, nil, nil, func(signed []byte) {
		verr = verifySignatureValue(cert.PublicKey, sig.method, signed, sig.value)
	}); err != nil {
		return nil, err
	}
	if verr != nil {
		return nil, verr
	}
	return v, nil
}

// parseToken decodes the BinarySecurityToken as an X.509 v3 certificate
// (X.509 Certificate Token Profile 1.1, section 3.1).
func parseToken(tok *etree.Element) (*x509.Certificate, error) {
	if err := checkTokenType(tok); err != nil {
		return nil, err
	}
	der, err := decodeBase64(tok.Text())
	if err != nil {
		return nil, fmt.Errorf("%w: not base64", ErrCertificateUnparsable)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCertificateUnparsable, err)
	}
	return cert, nil
}

// checkTokenType refuses a BinarySecurityToken that is not an X.509 v3
// certificate in base64.
func checkTokenType(tok *etree.Element) error {
	if vt, _ := attr(tok, "ValueType"); vt != valueTypeX509v3 {
		return fmt.Errorf("%w: ValueType %q", ErrCertificateUnparsable, vt)
	}
	if et, ok := attr(tok, "EncodingType"); ok && et != encodingTypeBase64 {
		return fmt.Errorf("%w: EncodingType %q", ErrCertificateUnparsable, et)
	}
	return nil
}

// checkKey refuses keys the profile does not allow and keys that do not fit
// the SignatureMethod: RSA of 2048 to 8192 bits, ECDSA on P-256.
func checkKey(pub crypto.PublicKey, alg signatureAlgorithm) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if alg.ecdsa {
			return fmt.Errorf("%w: RSA key with an ECDSA SignatureMethod", ErrUnsupportedKey)
		}
		if n := k.N.BitLen(); n < 2048 || n > 8192 {
			return fmt.Errorf("%w: RSA key of %d bits", ErrUnsupportedKey, n)
		}
	case *ecdsa.PublicKey:
		if !alg.ecdsa {
			return fmt.Errorf("%w: ECDSA key with an RSA SignatureMethod", ErrUnsupportedKey)
		}
		if k.Curve != elliptic.P256() {
			return fmt.Errorf("%w: ECDSA key on %s", ErrUnsupportedKey, k.Curve.Params().Name)
		}
	default:
		return fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
	}
	return nil
}

// verifySignatureValue checks value over the canonical SignedInfo. ECDSA
// values are the raw r||s concatenation of XML-DSig 1.1 section 6.4.3
// (RFC 4050), each half as long as the curve's order.
func verifySignatureValue(pub crypto.PublicKey, alg signatureAlgorithm, signedInfo, value []byte) error {
	h := alg.hash.New()
	h.Write(signedInfo)
	digest := h.Sum(nil)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(k, alg.hash, digest, value); err != nil {
			return ErrBadSignature
		}
		return nil
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		if len(value) != 2*size {
			return fmt.Errorf("%w: ECDSA value of %d bytes, want raw r||s of %d", ErrBadSignature, len(value), 2*size)
		}
		r := new(big.Int).SetBytes(value[:size])
		s := new(big.Int).SetBytes(value[size:])
		if !ecdsa.Verify(k, digest, r, s) {
			return ErrBadSignature
		}
		return nil
	}
	return fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
}

// checkTimestamp reads wsu:Created and wsu:Expires (WS-Security 1.1 SOAP
// Message Security section 10) and applies the freshness rules: Created no
// later than now+MaxSkew and no earlier than now-MaxAge-MaxSkew, Expires
// later than now-MaxSkew.
func (p *Policy) checkTimestamp(ts *etree.Element, now time.Time) (created, expires time.Time, err error) {
	var buf [2]*etree.Element
	kids := childElements(buf[:0], ts)
	if len(kids) != 2 || !is(kids[0], nsWSU, "Created") || !is(kids[1], nsWSU, "Expires") {
		return created, expires, fmt.Errorf("%w: want exactly wsu:Created then wsu:Expires", ErrTimestampInvalid)
	}
	if created, err = parseDateTime(kids[0].Text()); err != nil {
		return created, expires, fmt.Errorf("%w: Created: %w", ErrTimestampInvalid, err)
	}
	if expires, err = parseDateTime(kids[1].Text()); err != nil {
		return created, expires, fmt.Errorf("%w: Expires: %w", ErrTimestampInvalid, err)
	}
	if expires.Before(created) {
		return created, expires, fmt.Errorf("%w: Expires before Created", ErrTimestampInvalid)
	}
	skew := orDefault(p.MaxSkew, DefaultMaxSkew)
	maxAge := orDefault(p.MaxAge, DefaultMaxAge)
	switch {
	case created.After(now.Add(skew)):
		return created, expires, fmt.Errorf("%w: created %s, now %s", ErrTimestampFuture, created.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case !expires.After(now.Add(-skew)):
		return created, expires, fmt.Errorf("%w: at %s, now %s", ErrTimestampExpired, expires.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case created.Before(now.Add(-maxAge - skew)):
		return created, expires, fmt.Errorf("%w: created %s, the limit is %s", ErrTimestampTooOld, created.Format(time.RFC3339), maxAge)
	}
	return created, expires, nil
}

// parseDateTime reads an xsd:dateTime with an explicit time zone, as
// WS-Security requires for wsu:Created and wsu:Expires.
func parseDateTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an xsd:dateTime with a time zone", s)
	}
	return t.UTC(), nil
}

// base64Std is the encoding of every base64Binary value this package writes.
var base64Std = base64.StdEncoding

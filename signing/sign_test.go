package signing

import (
	"bytes"
	"crypto/x509"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/darbaza/darbaza/internal/testenv"
)

// providerMember is who signs the responses of the tests.
const providerMember = "central-server/GOV/70000001/population-registry"

// signNow is the test clock for freshly signed messages.
var signNow = time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)

var keyKinds = []string{KeyECDSAP256, KeyRSA2048}

// testSigner returns a Signer with the throwaway key of kind from testdata/keys.
func testSigner(tb testing.TB, kind string) *Signer {
	tb.Helper()
	key, cert, err := LoadKeyPair(filepath.Join("testdata", "keys", kind+".key"), filepath.Join("testdata", "keys", kind+".crt"))
	if err != nil {
		tb.Fatal(err)
	}
	return &Signer{Key: key, Certificate: cert, Now: func() time.Time { return signNow }}
}

// policyFor trusts cert for member at signNow.
func policyFor(cert *x509.Certificate, member string) *Policy {
	trust := NewTrustStore()
	trust.Add(member, cert, false)
	return &Policy{Trust: trust, Now: func() time.Time { return signNow }}
}

// signFixture signs testdata/unsigned/<name> covering the Body and every
// X-Road header and returns the serialized bytes.
func signFixture(tb testing.TB, s *Signer, name string) []byte {
	tb.Helper()
	doc := parse(tb, readTestdata(tb, filepath.Join("unsigned", name)))
	parts, err := SignedParts(doc)
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.Sign(doc, parts); err != nil {
		tb.Fatalf("Sign: %v", err)
	}
	out, err := doc.WriteToBytes()
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestSignedMessagesVerifyWithCheck(t *testing.T) {
	for _, kind := range keyKinds {
		for _, fixture := range []string{"request.xml", "response.xml"} {
			t.Run(kind+"/"+fixture, func(t *testing.T) {
				s := testSigner(t, kind)
				doc := parse(t, signFixture(t, s, fixture))
				parts, err := SignedParts(doc)
				if err != nil {
					t.Fatal(err)
				}
				v, err := policyFor(s.Certificate, providerMember).Check(doc, providerMember, parts)
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				if !v.Created.Equal(signNow) || !v.Expires.Equal(signNow.Add(DefaultTTL)) {
					t.Errorf("timestamp %s .. %s", v.Created, v.Expires)
				}
				if len(v.Signed) != len(parts)+1 {
					t.Errorf("%d references, want %d", len(v.Signed), len(parts)+1)
				}
				if _, err := (&Policy{Now: func() time.Time { return signNow }}).CheckPinned(doc, s.Certificate, parts); err != nil {
					t.Errorf("CheckPinned: %v", err)
				}
			})
		}
	}
}

func TestSignKeepsExistingIDsAndAddsMissingOnes(t *testing.T) {
	doc := loadSample(t, "sample2-xroad-wsuid.xml")
	// Strip the sample's signature, keep its wsu:Id attributes, and add a bare Id.
	sec := descendant(doc.Root(), nsWSSE, "Security")
	sec.Parent().RemoveChild(sec)
	body, headers := mustParts(t, doc)
	body.RemoveAttr("wsu:Id")
	body.CreateAttr("Id", "bare-body")
	added := etree.NewElement("xrd:issue")
	added.CreateAttr("xmlns:xrd", nsXRoad)
	added.CreateAttr("xmlns:wsu", "urn:not-the-utility-namespace")
	added.SetText("x")
	headers[0].Parent().InsertChildAt(0, added)
	s := testSigner(t, KeyECDSAP256)
	if err := s.Sign(doc, append([]*etree.Element{added, body}, headers...)); err != nil {
		t.Fatal(err)
	}
	if got := existingID(body); got != "bare-body" {
		t.Errorf("Body id %q, want the bare Id kept", got)
	}
	if got := existingID(headers[0]); got != "_1" {
		t.Errorf("xrd:client id %q, want the wsu:Id kept", got)
	}
	if added.SelectAttrValue("xmlns:wsu", "") != "urn:not-the-utility-namespace" || existingID(added) == "" {
		t.Errorf("the element's own wsu prefix was shadowed or no id added: %v", added.Attr)
	}
	if _, err := policyFor(s.Certificate, providerMember).Check(doc, providerMember, append([]*etree.Element{added, body}, headers...)); err != nil {
		t.Fatal(err)
	}
}

func TestSignRefuses(t *testing.T) {
	ec := testSigner(t, KeyECDSAP256)
	rsaSigner := testSigner(t, KeyRSA2048)
	tests := []struct {
		name   string
		signer *Signer
		doc    func(tb testing.TB) *etree.Document
		refs   func(doc *etree.Document) []*etree.Element
		want   error
	}{
		{
			name:   "a key that does not match the certificate",
			signer: &Signer{Key: ec.Key, Certificate: rsaSigner.Certificate},
			want:   ErrKeyMismatch,
		},
		{
			name: "a message that is signed already",
			doc:  func(tb testing.TB) *etree.Document { return loadSample(tb, "sample1-default.xml") },
			want: ErrAlreadySigned,
		},
		{
			name: "a document that is not a SOAP envelope",
			doc:  func(tb testing.TB) *etree.Document { return parse(tb, []byte(`<a><Body/></a>`)) },
			want: ErrNotEnvelope,
		},
		{
			name: "an element of another document",
			refs: func(*etree.Document) []*etree.Element { return []*etree.Element{etree.NewElement("x")} },
			want: ErrForeignElement,
		},
		{
			name: "a document whose ids are not unique",
			doc: func(tb testing.TB) *etree.Document {
				return parse(tb, []byte(`<s:Envelope xmlns:s="`+nsSOAP11+`"><s:Header><h Id="a"/></s:Header><s:Body Id="a"/></s:Envelope>`))
			},
			want: ErrDuplicateID,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := parse(t, readTestdata(t, "unsigned/response.xml"))
			if tt.doc != nil {
				doc = tt.doc(t)
			}
			before, _ := doc.WriteToString()
			refs := []*etree.Element{doc.Root()}
			if tt.refs != nil {
				refs = tt.refs(doc)
			}
			s := ec
			if tt.signer != nil {
				s = tt.signer
			}
			if err := s.Sign(doc, refs); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if after, _ := doc.WriteToString(); after != before {
				t.Error("a refused Sign changed the document")
			}
		})
	}
}

func TestSignedResponseVerifiesWithXmlsec1(t *testing.T) {
	_, err := exec.LookPath("xmlsec1")
	testenv.Require(t, "xmlsec1 (apt-get install xmlsec1)", err)
	for _, kind := range keyKinds {
		t.Run(kind, func(t *testing.T) {
			s := testSigner(t, kind)
			signed := signFixture(t, s, "response.xml")
			dir := t.TempDir()
			file := filepath.Join(dir, "response.xml")
			if err := os.WriteFile(file, signed, 0o644); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"--verify", "--pubkey-cert-pem", filepath.Join("testdata", "keys", kind+".crt")}, xmlsec1IDAttrs()...)
			out, err := exec.Command("xmlsec1", append(args, file)...).CombinedOutput()
			if err != nil || !bytes.HasPrefix(out, []byte("OK")) {
				t.Fatalf("xmlsec1 --verify: %v\n%s\n%s", err, out, signed)
			}
			// And a tampered copy must fail there too, or the check above proves nothing.
			tampered := bytes.Replace(signed, []byte("Асанов"), []byte("Асанова"), 1)
			if err := os.WriteFile(file, tampered, 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("xmlsec1", append(args, file)...).CombinedOutput(); err == nil {
				t.Fatalf("xmlsec1 accepted a tampered response:\n%s", out)
			}
		})
	}
}

func TestSignedBytesSurviveWhitespaceAndCarriageReturns(t *testing.T) {
	// Attribute values holding TAB/LF (from &#9;/&#10;) and text holding CR
	// (from &#13;) must be written back as references, or re-parsing the
	// signed bytes changes them and the signature with them (edge cases e2, e3).
	raw := "<s:Envelope xmlns:s=\"" + nsSOAP11 + "\"><s:Body><p a=\"x&#9;y&#10;z&#13;\">l1&#13;\nl2 &amp; &lt; &gt; \"'</p></s:Body></s:Envelope>"
	for _, kind := range keyKinds {
		s := testSigner(t, kind)
		doc := parse(t, []byte(raw))
		body, _ := mustParts(t, doc)
		if err := s.Sign(doc, []*etree.Element{body}); err != nil {
			t.Fatal(err)
		}
		signed, err := doc.WriteToBytes()
		if err != nil {
			t.Fatal(err)
		}
		again := parse(t, signed)
		body, _ = mustParts(t, again)
		if _, err := policyFor(s.Certificate, requester).Check(again, requester, []*etree.Element{body}); err != nil {
			t.Fatalf("%s: %v\n%s", kind, err, signed)
		}
	}
}

// TestSignedResponseVerifiesWithXMLCrypto runs testdata/xmlcrypto/verify.js
// when node and xml-crypto are available: set DARBAZA_XMLCRYPTO_NODE_PATH to
// a node_modules folder holding xml-crypto and @xmldom/xmldom
// (npm install xml-crypto@6 @xmldom/xmldom).
func TestSignedResponseVerifiesWithXMLCrypto(t *testing.T) {
	modules := os.Getenv("DARBAZA_XMLCRYPTO_NODE_PATH")
	_, err := exec.LookPath("node")
	if err == nil && modules == "" {
		err = errors.New("DARBAZA_XMLCRYPTO_NODE_PATH is empty")
	}
	testenv.Require(t, "node and xml-crypto (make interop-deps; DARBAZA_XMLCRYPTO_NODE_PATH names their node_modules, as make test sets it)", err)
	for _, kind := range keyKinds {
		t.Run(kind, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "response.xml")
			signed := signFixture(t, testSigner(t, kind), "response.xml")
			run := func(b []byte) ([]byte, error) {
				if err := os.WriteFile(file, b, 0o644); err != nil {
					t.Fatal(err)
				}
				cmd := exec.Command("node", filepath.Join("testdata", "xmlcrypto", "verify.js"), file, filepath.Join("testdata", "keys", kind+".crt"))
				cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
				return cmd.CombinedOutput()
			}
			if out, err := run(signed); err != nil {
				t.Fatalf("xml-crypto: %v\n%s", err, out)
			}
			if out, err := run(bytes.Replace(signed, []byte("Асанов"), []byte("Асанова"), 1)); err == nil {
				t.Fatalf("xml-crypto accepted a tampered response:\n%s", out)
			}
		})
	}
}

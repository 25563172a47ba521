package signing

import (
	"testing"

	"github.com/beevik/etree"
)

// setAlgorithm sets the Algorithm of the first {ds}local element.
func setAlgorithm(local, uri string) func(testing.TB, *etree.Document) {
	return func(tb testing.TB, doc *etree.Document) {
		find(tb, doc, nsDSig, local).CreateAttr("Algorithm", uri)
	}
}

func TestDisallowedAlgorithmsAreRefusedBeforeAnyCrypto(t *testing.T) {
	runAttacks(t, []attack{
		{name: "rsa-sha1 for a member not configured legacy", kind: KeyRSA2048, mutate: setAlgorithm("SignatureMethod", algRSASHA1), want: ErrSHA1NotAllowed},
		{name: "ecdsa-sha1 for a member not configured legacy", mutate: setAlgorithm("SignatureMethod", algECDSASHA1), want: ErrSHA1NotAllowed},
		{name: "a sha1 digest for a member not configured legacy", mutate: setAlgorithm("DigestMethod", algSHA1), want: ErrSHA1NotAllowed},
		{name: "hmac-sha1", mutate: setAlgorithm("SignatureMethod", "http://www.w3.org/2000/09/xmldsig#hmac-sha1"), want: ErrUnsupportedAlgorithm},
		{name: "hmac-sha256", mutate: setAlgorithm("SignatureMethod", "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"), want: ErrUnsupportedAlgorithm},
		{name: "rsa-sha256 with an ECDSA key", mutate: setAlgorithm("SignatureMethod", algRSASHA256), want: ErrUnsupportedKey},
		{name: "ecdsa-sha256 with an RSA key", kind: KeyRSA2048, mutate: setAlgorithm("SignatureMethod", algECDSASHA256), want: ErrUnsupportedKey},
		{name: "an md5 digest", mutate: setAlgorithm("DigestMethod", "http://www.w3.org/2001/04/xmldsig-more#md5"), want: ErrUnsupportedAlgorithm},
		{name: "inclusive C14N as CanonicalizationMethod", mutate: setAlgorithm("CanonicalizationMethod", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"), want: ErrUnsupportedAlgorithm},
		{name: "exclusive C14N with comments", mutate: setAlgorithm("CanonicalizationMethod", "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"), want: ErrUnsupportedAlgorithm},
		{name: "an XPath transform", mutate: setAlgorithm("Transform", "http://www.w3.org/TR/1999/REC-xpath-19991116"), want: ErrUnsupportedTransform},
		{name: "an XSLT transform", mutate: setAlgorithm("Transform", "http://www.w3.org/TR/1999/REC-xslt-19991116"), want: ErrUnsupportedTransform},
		{
			name: "a reference without transforms (inclusive C14N by default)",
			mutate: func(tb testing.TB, doc *etree.Document) {
				removeFirst(tb, doc, nsDSig, "Transforms")
			},
			want: ErrUnsupportedTransform,
		},
		{
			name: "an enveloped-signature transform alone",
			mutate: func(tb testing.TB, doc *etree.Document) {
				find(tb, doc, nsDSig, "Transform").CreateAttr("Algorithm", algEnveloped)
			},
			want: ErrUnsupportedTransform,
		},
		{
			name: "exclusive C14N twice",
			mutate: func(tb testing.TB, doc *etree.Document) {
				duplicate(tb, doc, nsDSig, "Transform", find(tb, doc, nsDSig, "Transforms"))
			},
			want: ErrUnsupportedTransform,
		},
		{
			name: "a reference to the whole document",
			mutate: func(tb testing.TB, doc *etree.Document) {
				find(tb, doc, nsDSig, "Reference").CreateAttr("URI", "")
			},
			want: ErrMalformed,
		},
		{
			name: "an XPointer reference",
			mutate: func(tb testing.TB, doc *etree.Document) {
				find(tb, doc, nsDSig, "Reference").CreateAttr("URI", "#xpointer(/)")
			},
			want: ErrMalformed,
		},
		{
			name: "a reference to an id that does not exist",
			mutate: func(tb testing.TB, doc *etree.Document) {
				find(tb, doc, nsDSig, "Reference").CreateAttr("URI", "#missing")
			},
			want: ErrUnknownID,
		},
		{
			name:   "more references than MaxReferences",
			policy: func(_ testing.TB, p *Policy, _ *Signer) { p.MaxReferences = 3 },
			want:   ErrTooManyReferences,
		},
		{
			name: "HMACOutputLength on the SignatureMethod",
			mutate: func(tb testing.TB, doc *etree.Document) {
				find(tb, doc, nsDSig, "SignatureMethod").CreateElement("ds:HMACOutputLength").SetText("8")
			},
			want: ErrUnsupportedAlgorithm,
		},
	})
}

package signing

import (
	"errors"
	"testing"

	"github.com/beevik/etree"
)

func isErr(err, target error) bool { return errors.Is(err, target) }

// removeFirst removes the first {ns}local element of doc.
func removeFirst(tb testing.TB, doc *etree.Document, ns, local string) {
	tb.Helper()
	el := find(tb, doc, ns, local)
	el.Parent().RemoveChild(el)
}

// duplicate appends a copy of the first {ns}local element to parent.
func duplicate(tb testing.TB, doc *etree.Document, ns, local string, parent *etree.Element) {
	tb.Helper()
	parent.AddChild(find(tb, doc, ns, local).Copy())
}

func TestSecurityHeaderStructureIsEnforced(t *testing.T) {
	runAttacks(t, []attack{
		{
			name:   "no Security header",
			mutate: func(tb testing.TB, doc *etree.Document) { removeFirst(tb, doc, nsWSSE, "Security") },
			want:   ErrMissingSecurity,
		},
		{
			name: "two Security headers",
			mutate: func(tb testing.TB, doc *etree.Document) {
				sec := find(tb, doc, nsSOAP11, "Header").CreateElement("wsse:Security")
				sec.CreateAttr("xmlns:wsse", nsWSSE)
			},
			want: ErrExtraSecurity,
		},
		{
			name: "Security inside the Body instead of the Header",
			mutate: func(tb testing.TB, doc *etree.Document) {
				sec := find(tb, doc, nsWSSE, "Security")
				sec.Parent().RemoveChild(sec)
				find(tb, doc, nsSOAP11, "Body").AddChild(sec)
			},
			want: ErrMalformed,
		},
		{
			name:   "no BinarySecurityToken",
			mutate: func(tb testing.TB, doc *etree.Document) { removeFirst(tb, doc, nsWSSE, "BinarySecurityToken") },
			want:   ErrMissingToken,
		},
		{
			name: "two BinarySecurityTokens",
			mutate: func(tb testing.TB, doc *etree.Document) {
				tok := find(tb, doc, nsWSSE, "BinarySecurityToken").Copy()
				tok.RemoveAttr("wsu:Id")
				find(tb, doc, nsWSSE, "Security").AddChild(tok)
			},
			want: ErrExtraToken,
		},
		{
			name:   "no Timestamp",
			mutate: func(tb testing.TB, doc *etree.Document) { removeFirst(tb, doc, nsWSU, "Timestamp") },
			want:   ErrMissingTimestamp,
		},
		{
			name: "two Timestamps",
			mutate: func(tb testing.TB, doc *etree.Document) {
				ts := find(tb, doc, nsWSU, "Timestamp").Copy()
				ts.RemoveAttr("wsu:Id")
				find(tb, doc, nsWSSE, "Security").AddChild(ts)
			},
			want: ErrExtraTimestamp,
		},
		{
			name:   "no Signature",
			mutate: func(tb testing.TB, doc *etree.Document) { removeFirst(tb, doc, nsDSig, "Signature") },
			want:   ErrMissingSignature,
		},
		{
			name: "the only Signature moved into the Body",
			mutate: func(tb testing.TB, doc *etree.Document) {
				sig := find(tb, doc, nsDSig, "Signature")
				sig.Parent().RemoveChild(sig)
				find(tb, doc, nsSOAP11, "Body").AddChild(sig)
			},
			need: func(testing.TB, *etree.Document) []*etree.Element { return nil },
			want: ErrMissingSignature,
		},
		{
			name: "a second Signature in the Security header",
			mutate: func(tb testing.TB, doc *etree.Document) {
				duplicate(tb, doc, nsDSig, "Signature", find(tb, doc, nsWSSE, "Security"))
			},
			want: ErrExtraSignature,
		},
		{
			name: "a second Signature deep in the Body",
			mutate: func(tb testing.TB, doc *etree.Document) {
				duplicate(tb, doc, nsDSig, "Signature", find(tb, doc, "http://population.tunduk.kg/registry/v1", "getPerson"))
			},
			want: ErrExtraSignature,
		},
		{
			name: "an unknown element in the Security header",
			mutate: func(tb testing.TB, doc *etree.Document) {
				find(tb, doc, nsWSSE, "Security").CreateElement("wsse:UsernameToken")
			},
			want: ErrMalformed,
		},
		{
			name: "a ds:Object in the Signature",
			mutate: func(tb testing.TB, doc *etree.Document) {
				find(tb, doc, nsDSig, "Signature").CreateElement("ds:Object")
			},
			want: ErrMalformed,
		},
		{
			name: "the token reference points to another element",
			mutate: func(tb testing.TB, doc *etree.Document) {
				id := existingID(find(tb, doc, nsWSU, "Timestamp"))
				find(tb, doc, nsWSSE, "Reference").CreateAttr("URI", "#"+id)
			},
			want: ErrMalformed,
		},
		{
			name: "the token reference points to no element",
			mutate: func(tb testing.TB, doc *etree.Document) {
				find(tb, doc, nsWSSE, "Reference").CreateAttr("URI", "#nowhere")
			},
			want: ErrUnknownID,
		},
		{
			name: "a KeyIdentifier instead of a direct reference",
			mutate: func(tb testing.TB, doc *etree.Document) {
				str := find(tb, doc, nsWSSE, "SecurityTokenReference")
				str.RemoveChildAt(0)
				str.CreateElement("wsse:KeyIdentifier").SetText("AAAA")
			},
			want: ErrMalformed,
		},
		{
			name: "a token that is not a certificate",
			mutate: func(tb testing.TB, doc *etree.Document) {
				tok := find(tb, doc, nsWSSE, "BinarySecurityToken")
				tok.SetText(base64Std.EncodeToString([]byte("not DER")))
			},
			want: ErrCertificateUnparsable,
		},
		{
			name: "a token of another ValueType",
			mutate: func(tb testing.TB, doc *etree.Document) {
				find(tb, doc, nsWSSE, "BinarySecurityToken").CreateAttr("ValueType", "urn:kerberos")
			},
			want: ErrCertificateUnparsable,
		},
		{
			name: "a root that is not a SOAP 1.1 Envelope",
			mutate: func(tb testing.TB, doc *etree.Document) {
				doc.Root().CreateAttr("xmlns:soapenv", "http://www.w3.org/2003/05/soap-envelope")
			},
			need: func(testing.TB, *etree.Document) []*etree.Element { return nil },
			want: ErrMalformed,
		},
	})
}

package signing

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// goxmldsigKnownWrong lists the references where goxmldsig v1.6.1's
// Exclusive C14N differs from xmlsec1, and why; ours must match xmlsec1
// there too. Any other difference, or one of these going away (a fixed
// goxmldsig), fails the test, so the reason for our own canonicalizer stays
// measured rather than remembered.
var goxmldsigKnownWrong = map[string]string{
	"edge-c14n-xmlsec1.xml#e1": "attributes ordered by prefix, not by namespace URI (C14N 1.0 §2.2)",
	"edge-c14n-xmlsec1.xml#e7": `"#default" in the InclusiveNamespaces PrefixList is ignored`,
}

// TestCanonicalizeAgainstGoxmldsig runs goxmldsig's canonicalizer, fed the
// element detached with its in-scope namespaces by goxmldsig's own
// etreeutils, over every reference of every conformance sample, and
// compares both canonicalizers with the xmlsec1 goldens.
func TestCanonicalizeAgainstGoxmldsig(t *testing.T) {
	var wrong []string
	for _, sample := range c14nSamples {
		doc := loadSample(t, sample)
		signedInfo := child(descendant(doc.Root(), nsDSig, "Signature"), nsDSig, "SignedInfo")
		for _, ref := range signedInfo.SelectElements("Reference") {
			id := strings.TrimPrefix(ref.SelectAttrValue("URI", ""), "#")
			el := elementByID(doc.Root(), id)
			if el == nil {
				t.Fatalf("%s: no element with id %s", sample, id)
			}
			prefixes := ""
			if inc := descendant(ref, "http://www.w3.org/2001/10/xml-exc-c14n#", "InclusiveNamespaces"); inc != nil {
				prefixes = inc.SelectAttrValue("PrefixList", "")
			}
			golden, err := os.ReadFile(goldenName(sample, id))
			if err != nil {
				t.Fatal(err)
			}
			ours, err := Canonicalize(el, strings.Fields(prefixes))
			if err != nil || !bytes.Equal(ours, golden) {
				t.Errorf("%s#%s: ours differs from xmlsec1 (%v)", sample, id, err)
			}
			theirs := goxmldsigCanonical(t, el, prefixes)
			if !bytes.Equal(theirs, golden) {
				wrong = append(wrong, sample+"#"+id)
			}
		}
	}
	var want []string
	for k := range goxmldsigKnownWrong {
		want = append(want, k)
	}
	slices.Sort(want)
	slices.Sort(wrong)
	if !slices.Equal(wrong, want) {
		t.Errorf("goxmldsig differs from xmlsec1 at %v, expected exactly %v", wrong, want)
	}
}

func goxmldsigCanonical(tb testing.TB, el *etree.Element, prefixList string) []byte {
	tb.Helper()
	ctx := etreeutils.NewDefaultNSContext()
	var ancestors []*etree.Element
	for p := el.Parent(); p != nil && p.Tag != ""; p = p.Parent() {
		ancestors = append(ancestors, p)
	}
	for _, a := range slices.Backward(ancestors) {
		var err error
		if ctx, err = ctx.SubContext(a); err != nil {
			tb.Fatal(err)
		}
	}
	detached, err := etreeutils.NSDetatch(ctx, el)
	if err != nil {
		tb.Fatal(err)
	}
	out, err := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList(prefixList).Canonicalize(detached)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

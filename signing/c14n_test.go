package signing

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// c14nSamples are the signed files whose every reference has an xmlsec1
// golden under testdata/c14n/<name without .xml>/.
var c14nSamples = slices.Concat(conformanceSamples, []string{"edge-c14n-xmlsec1.xml"})

// xmlsec1IDAttrs names, for xmlsec1, every element type the samples reference
// by Id (xmlsec1 does not know wsu:Id or bare Id without being told).
func xmlsec1IDAttrs() []string {
	types := []string{
		nsSOAP11 + ":Body", nsWSU + ":Timestamp",
		nsXRoad + ":client", nsXRoad + ":service", nsXRoad + ":id", nsXRoad + ":userId",
		nsXRoad + ":protocolVersion", nsXRoad + ":issue", nsXRoad + ":requestHash",
		nsRepr + ":representedParty",
	}
	for i := 1; i <= 10; i++ {
		types = append(types, fmt.Sprintf("urn:t:e%d", i))
	}
	var args []string
	for _, t := range types {
		args = append(args, "--id-attr:Id", t)
	}
	return args
}

// xmlsec1Buffers runs xmlsec1 --verify on file with the debug dump and returns
// the pre-digest buffers in reference order and the pre-signature SignedInfo.
func xmlsec1Buffers(tb testing.TB, file, certFile string) (refs [][]byte, signedInfo []byte) {
	tb.Helper()
	args := append([]string{"--verify", "--store-references", "--store-signatures", "--print-debug",
		"--pubkey-cert-pem", certFile}, xmlsec1IDAttrs()...)
	out, err := exec.Command("xmlsec1", append(args, file)...).CombinedOutput()
	if err != nil {
		tb.Fatalf("xmlsec1 --verify %s: %v\n%s", file, err, out)
	}
	cut := func(s []byte, start, end string) ([]byte, []byte, bool) {
		i := bytes.Index(s, []byte(start))
		if i < 0 {
			return nil, s, false
		}
		s = s[i+len(start):]
		j := bytes.Index(s, []byte(end))
		if j < 0 {
			tb.Fatalf("xmlsec1 output: %q without %q", start, end)
		}
		return s[:j], s[j+len(end):], true
	}
	rest := out
	for {
		buf, r, ok := cut(rest, "== PreDigest data - start buffer:\n", "\n== PreDigest data - end buffer")
		if !ok {
			break
		}
		refs, rest = append(refs, buf), r
	}
	signedInfo, _, ok := cut(out, "== PreSigned data - start buffer:\n", "\n== PreSigned data - end buffer")
	if !ok {
		tb.Fatalf("xmlsec1 output has no PreSigned data:\n%s", out)
	}
	return refs, signedInfo
}

// goldenName is the golden file of the reference to id in sample.
func goldenName(sample, id string) string {
	return filepath.Join("testdata", "c14n", strings.TrimSuffix(sample, ".xml"), "ref-"+id+".c14n")
}

func TestCanonicalBytesEqualXmlsec1ForEveryReference(t *testing.T) {
	for _, sample := range c14nSamples {
		t.Run(sample, func(t *testing.T) {
			doc := loadSample(t, sample)
			sig := descendant(doc.Root(), nsDSig, "Signature")
			signedInfo := child(sig, nsDSig, "SignedInfo")
			var refs []*etree.Element
			for _, r := range signedInfo.ChildElements() {
				if r.Tag == "Reference" {
					refs = append(refs, r)
				}
			}
			if *update {
				bufs, si := xmlsec1Buffers(t, filepath.Join(wssDir, sample), filepath.Join(wssDir, "client-rsa.crt"))
				if len(bufs) != len(refs) {
					t.Fatalf("xmlsec1 printed %d buffers for %d references", len(bufs), len(refs))
				}
				dir := filepath.Dir(goldenName(sample, "x"))
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				for i, r := range refs {
					writeGolden(t, goldenName(sample, strings.TrimPrefix(r.SelectAttrValue("URI", ""), "#")), bufs[i])
				}
				writeGolden(t, filepath.Join(dir, "signedinfo.c14n"), si)
			}
			for _, r := range refs {
				id := strings.TrimPrefix(r.SelectAttrValue("URI", ""), "#")
				t.Run(id, func(t *testing.T) {
					el := elementByID(doc.Root(), id)
					if el == nil {
						t.Fatalf("no element with Id %q", id)
					}
					var prefixes []string
					var exclude *etree.Element
					for _, tr := range child(r, nsDSig, "Transforms").ChildElements() {
						if tr.SelectAttrValue("Algorithm", "") == algEnveloped {
							exclude = sig
						}
						if inc := child(tr, nsExcC14N, "InclusiveNamespaces"); inc != nil {
							prefixes = strings.Fields(inc.SelectAttrValue("PrefixList", ""))
						}
					}
					var got []byte
					if err := canonicalize(el, prefixes, exclude, nil, func(b []byte) { got = slices.Clone(b) }); err != nil {
						t.Fatal(err)
					}
					assertGolden(t, goldenName(sample, id), got)
				})
			}
			t.Run("SignedInfo", func(t *testing.T) {
				var prefixes []string
				if inc := child(child(signedInfo, nsDSig, "CanonicalizationMethod"), nsExcC14N, "InclusiveNamespaces"); inc != nil {
					prefixes = strings.Fields(inc.SelectAttrValue("PrefixList", ""))
				}
				got, err := Canonicalize(signedInfo, prefixes)
				if err != nil {
					t.Fatal(err)
				}
				assertGolden(t, filepath.Join(filepath.Dir(goldenName(sample, "x")), "signedinfo.c14n"), got)
			})
		})
	}
}

func writeGolden(tb testing.TB, path string, b []byte) {
	tb.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
}

func assertGolden(tb testing.TB, path string, got []byte) {
	tb.Helper()
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test -update with xmlsec1 on PATH to create it)", err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("canonical bytes differ from %s\n got: %q\nwant: %q", path, got, want)
	}
}

func TestCanonicalizeHandlesNamespaceEdgeCases(t *testing.T) {
	tests := []struct {
		name, doc, id string
		prefixes      []string
		want          string
	}{
		{
			name: "unused ancestor prefixes are not rendered",
			doc:  `<r xmlns:a="urn:a" xmlns:b="urn:b"><a:x Id="t"><y/></a:x></r>`, id: "t",
			want: `<a:x xmlns:a="urn:a" Id="t"><y></y></a:x>`,
		},
		{
			name: "an inclusive prefix is rendered on the apex only",
			doc:  `<r xmlns:a="urn:a" xmlns:b="urn:b"><a:x Id="t"><b:y/></a:x></r>`, id: "t", prefixes: []string{"b"},
			want: `<a:x xmlns:a="urn:a" xmlns:b="urn:b" Id="t"><b:y></b:y></a:x>`,
		},
		{
			name: "an undeclared inclusive prefix is ignored",
			doc:  `<r><x Id="t"/></r>`, id: "t", prefixes: []string{"zz", "#default"},
			want: `<x Id="t"></x>`,
		},
		{
			name: "xmlns empty is written only to undo a rendered default namespace",
			doc:  `<r xmlns="urn:d"><x Id="t"><y xmlns=""/></x><z xmlns="" Id="u"/></r>`, id: "t",
			want: `<x xmlns="urn:d" Id="t"><y xmlns=""></y></x>`,
		},
		{
			name: "attributes sort by namespace URI before local name",
			doc:  `<x xmlns:p="urn:z" xmlns:q="urn:a" Id="t" p:a="1" q:b="2" c="3"/>`, id: "t",
			want: `<x xmlns:p="urn:z" xmlns:q="urn:a" Id="t" c="3" q:b="2" p:a="1"></x>`,
		},
		{
			name: "a redeclared prefix with a new value is rendered again",
			doc:  `<a:x xmlns:a="urn:1" Id="t"><a:y xmlns:a="urn:2"/><a:z xmlns:a="urn:1"/></a:x>`, id: "t",
			want: `<a:x xmlns:a="urn:1" Id="t"><a:y xmlns:a="urn:2"></a:y><a:z></a:z></a:x>`,
		},
		{
			name: "special characters are escaped as C14N requires",
			doc:  "<x Id=\"t\" v=\"&lt;&amp;&quot;&gt;&#9;&#10;&#13;\">&lt;&amp;&gt;&#13;\"'</x>", id: "t",
			want: "<x Id=\"t\" v=\"&lt;&amp;&quot;>&#x9;&#xA;&#xD;\">&lt;&amp;&gt;&#xD;\"'</x>",
		},
		{
			name: "comments are dropped and processing instructions kept",
			doc:  `<x Id="t"><!-- c --><?p  d ?><?q?></x>`, id: "t",
			want: `<x Id="t"><?p d ?><?q?></x>`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := parse(t, []byte(tt.doc))
			got, err := Canonicalize(elementByID(doc.Root(), tt.id), tt.prefixes)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestCanonicalizeRefusesUndeclaredPrefixes(t *testing.T) {
	for _, in := range []string{`<p:x Id="t"/>`, `<x Id="t" p:a="1"/>`, `<x Id="t"><p:y/></x>`} {
		doc := parse(t, []byte(in))
		if _, err := Canonicalize(doc.Root(), nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", in, err)
		}
	}
}

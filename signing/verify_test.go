package signing

import (
	"errors"
	"testing"

	"github.com/beevik/etree"
)

// mustParts returns the Body and the X-Road headers of doc.
func mustParts(tb testing.TB, doc *etree.Document) (body *etree.Element, headers []*etree.Element) {
	tb.Helper()
	body, err := Body(doc)
	if err != nil {
		tb.Fatal(err)
	}
	headers, err = XRoadHeaders(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return body, headers
}

func TestConformanceSamplesVerify(t *testing.T) {
	tests := []struct {
		sample      string
		wantHeaders int // X-Road headers the sample carries, all signed
	}{
		{"sample1-default.xml", 0},
		{"sample2-xroad-wsuid.xml", 5},
		{"sample5-zeep.xml", 0},
	}
	for _, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			doc := loadSample(t, tt.sample)
			body, headers := mustParts(t, doc)
			if len(headers) != tt.wantHeaders {
				t.Fatalf("sample has %d X-Road headers, want %d", len(headers), tt.wantHeaders)
			}
			v, err := samplePolicy(t).Check(doc, sampleMember, append(headers, body))
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if !v.Covers(body) || v.Member != sampleMember || v.Fingerprint != Fingerprint(sampleCert(t)) {
				t.Errorf("Verified = %+v", v)
			}
			for _, h := range headers {
				if !v.Covers(h) {
					t.Errorf("%s not covered", h.FullTag())
				}
				for _, c := range h.ChildElements() {
					if !v.Covers(c) {
						t.Errorf("%s inside %s not covered", c.FullTag(), h.FullTag())
					}
				}
			}
			if sig := descendant(doc.Root(), nsDSig, "Signature"); v.Covers(sig) || v.Covers(doc.Root()) {
				t.Error("Covers reports an element no reference digested")
			}
		})
	}
}

func TestZeepSampleWithUnsignedXRoadHeadersIsRefused(t *testing.T) {
	doc := loadSample(t, "sample5-zeep.xml")
	// What a zeep integrator gets by adding X-Road headers without telling
	// BinarySignature to sign them.
	header := child(doc.Root(), nsSOAP11, "Header")
	client := etree.NewElement("xrd:client")
	client.CreateAttr("xmlns:xrd", nsXRoad)
	header.InsertChildAt(0, client)
	body, headers := mustParts(t, doc)
	if _, err := samplePolicy(t).Check(doc, sampleMember, []*etree.Element{body}); err != nil {
		t.Fatalf("with only the Body required: %v", err)
	}
	if _, err := samplePolicy(t).Check(doc, sampleMember, append(headers, body)); !errors.Is(err, ErrNotCovered) {
		t.Fatalf("with the X-Road headers required: got %v, want ErrNotCovered", err)
	}
}

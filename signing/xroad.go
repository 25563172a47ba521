package signing

import (
	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"fmt"
	"io"
	"strings"

	"github.com/beevik/etree"
)

// Body returns the Envelope's own soap:Body: the child of the root
// Envelope, never a Body elsewhere in the document.
func Body(doc *etree.Document) (*etree.Element, error) {
	_, body, err := envelopeParts(doc.Root())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotEnvelope, err)
	}
	return body, nil
}

// XRoadHeaders returns, in document order, the children of the Envelope's
// soap:Header in the X-Road message protocol 4.0 namespaces
// (http://x-road.eu/xsd/xroad.xsd and http://x-road.eu/xsd/representation.xsd),
// matched by namespace URI. These are what a request's signature must cover
// and what a response echoes.
func XRoadHeaders(doc *etree.Document) ([]*etree.Element, error) {
	header, _, err := envelopeParts(doc.Root())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotEnvelope, err)
	}
	if header == nil {
		return nil, nil
	}
	var out []*etree.Element
	for _, c := range header.ChildElements() {
		if ns := c.NamespaceURI(); ns == nsXRoad || ns == nsRepr {
			out = append(out, c)
		}
	}
	return out, nil
}

// SignedParts returns what Darbaza's profile requires a signature to cover
// besides the Timestamp: the Envelope's own Body and every X-Road header.
func SignedParts(doc *etree.Document) ([]*etree.Element, error) {
	headers, err := XRoadHeaders(doc)
	if err != nil {
		return nil, err
	}
	body, err := Body(doc)
	if err != nil {
		return nil, err
	}
	return append(headers, body), nil
}

// NewMessageID returns a random (version 4) UUID read from r, the form
// X-Road uses for xrd:id; nil r means crypto/rand.
func NewMessageID(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var u [16]byte
	if _, err := io.ReadFull(r, u[:]); err != nil {
		return "", fmt.Errorf("message id: %w", err)
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16]), nil
}

// SetMessageID replaces the text of the request's xrd:id header with id.
func SetMessageID(doc *etree.Document, id string) error {
	headers, err := XRoadHeaders(doc)
	if err != nil {
		return err
	}
	for _, h := range headers {
		if h.Tag == "id" && h.NamespaceURI() == nsXRoad {
			h.Child = nil
			h.SetText(id)
			return nil
		}
	}
	return fmt.Errorf("%w: xrd:id", ErrNoXRoadHeader)
}

// CheckRequestHash checks that the response doc carries an xrd:requestHash
// whose value is the SHA-512 of request, the exact bytes sent (X-Road message
// protocol 4.0 §2.2; algorithmId, if present, must say SHA-512).
func CheckRequestHash(doc *etree.Document, request []byte) error {
	headers, err := XRoadHeaders(doc)
	if err != nil {
		return err
	}
	for _, h := range headers {
		if h.Tag != "requestHash" || h.NamespaceURI() != nsXRoad {
			continue
		}
		if alg, ok := attr(h, "algorithmId"); ok && alg != algSHA512 {
			return fmt.Errorf("%w: algorithmId %q", ErrRequestHash, alg)
		}
		got, err := decodeBase64(h.Text())
		if err != nil {
			return fmt.Errorf("%w: not base64", ErrRequestHash)
		}
		want := sha512.Sum512(request)
		if subtle.ConstantTimeCompare(got, want[:]) != 1 {
			return fmt.Errorf("%w: got %s", ErrRequestHash, strings.TrimSpace(h.Text()))
		}
		return nil
	}
	return fmt.Errorf("%w: xrd:requestHash", ErrNoXRoadHeader)
}

package signing

import (
	"crypto/x509"
	"strings"
	"sync"

	"github.com/beevik/etree"
)

// Bounds of a Policy's cache of parsed tokens: when it holds
// maxCachedTokens it starts again empty, and a token text longer than
// maxCachedTokenText (a certificate is 1-3 KiB of base64) is never kept.
const (
	maxCachedTokens    = 256
	maxCachedTokenText = 16 << 10
)

// tokenCache keeps the certificates of recent BinarySecurityTokens, parsed,
// by the token's text: members sign every request with the same
// certificate, and decoding and parsing it again was a tenth of a
// verification's work beyond the cryptography. Only certificates that a
// check has bound to a member (or pinned) are kept, so a stranger's
// certificates neither fill it nor push a member's out. A hit stands for
// exactly the same bytes, so it yields the same certificate; every check of
// the certificate (validity now, key, binding to the member) still runs on
// each request. Its zero value is empty and ready.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]cachedToken
}

type cachedToken struct {
	cert        *x509.Certificate
	fingerprint string // Fingerprint(cert)
}

// parse returns tok's certificate and its fingerprint, from the cache or
// by parseToken, and whether it came from the cache.
func (c *tokenCache) parse(tok *etree.Element) (_ *x509.Certificate, fingerprint string, cached bool, _ error) {
	if err := checkTokenType(tok); err != nil {
		return nil, "", false, err
	}
	c.mu.Lock()
	hit, ok := c.m[tok.Text()]
	c.mu.Unlock()
	if ok {
		return hit.cert, hit.fingerprint, true, nil
	}
	cert, err := parseToken(tok)
	if err != nil {
		return nil, "", false, err
	}
	return cert, Fingerprint(cert), false, nil
}

// keep caches cert, parsed from tok, once a check has bound it.
func (c *tokenCache) keep(tok *etree.Element, cert *x509.Certificate, fingerprint string) {
	text := tok.Text()
	if len(text) > maxCachedTokenText {
		return
	}
	text = strings.Clone(text) // not a window on the whole request
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedTokens {
		c.m = make(map[string]cachedToken)
	}
	c.m[text] = cachedToken{cert, fingerprint}
}

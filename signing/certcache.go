package signing

import (
	"crypto/x509"
	"sync"

	"github.com/beevik/etree"
)

// maxCachedTokens bounds a Policy's cache of parsed tokens; when it is
// full the cache starts again empty.
const maxCachedTokens = 256

// tokenCache keeps the certificates of recent BinarySecurityTokens, parsed,
// by the token's text: members sign every request with the same
// certificate, and decoding and parsing it again was a tenth of a
// verification's work beyond the cryptography. A hit stands for exactly
// the same bytes, so it yields the same certificate; every check of the
// certificate (validity now, key, binding to the member) still runs on each
// request. Its zero value is empty and ready.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]cachedToken
}

type cachedToken struct {
	cert        *x509.Certificate
	fingerprint string // Fingerprint(cert)
}

// parse returns tok's certificate and its fingerprint, from the cache or
// by parseToken (whose errors are not cached).
func (c *tokenCache) parse(tok *etree.Element) (*x509.Certificate, string, error) {
	if err := checkTokenType(tok); err != nil {
		return nil, "", err
	}
	text := tok.Text()
	c.mu.Lock()
	hit, ok := c.m[text]
	c.mu.Unlock()
	if ok {
		return hit.cert, hit.fingerprint, nil
	}
	cert, err := parseToken(tok)
	if err != nil {
		return nil, "", err
	}
	hit = cachedToken{cert, Fingerprint(cert)}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedTokens {
		c.m = make(map[string]cachedToken)
	}
	c.m[text] = hit
	c.mu.Unlock()
	return hit.cert, hit.fingerprint, nil
}

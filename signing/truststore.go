package signing

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"slices"
	"sync"
)

// TrustStore binds X-Road member identifiers ("INSTANCE/CLASS/CODE" or
// "INSTANCE/CLASS/CODE/SUBSYSTEM", compared exactly) to the certificates
// that may sign for them. A certificate is identified by its whole DER
// encoding. It is safe for concurrent use.
type TrustStore struct {
	mu     sync.RWMutex
	certs  map[[sha256.Size]byte][]string // certificate DER digest -> members, sorted
	legacy map[string]bool                // member -> SHA-1 forms allowed
}

// NewTrustStore returns an empty store.
func NewTrustStore() *TrustStore {
	return &TrustStore{certs: map[[sha256.Size]byte][]string{}, legacy: map[string]bool{}}
}

// Add binds cert to member. legacySHA1 allows the member the SHA-1 forms of
// SignatureMethod and DigestMethod (config legacy_sha1); it is a property of
// the member: true in any Add for it makes it true.
func (t *TrustStore) Add(member string, cert *x509.Certificate, legacySHA1 bool) {
	fp := sha256.Sum256(cert.Raw)
	t.mu.Lock()
	defer t.mu.Unlock()
	if ms := t.certs[fp]; !slices.Contains(ms, member) {
		ms = append(ms, member)
		slices.Sort(ms)
		t.certs[fp] = ms
	}
	t.legacy[member] = t.legacy[member] || legacySHA1
}

// Members returns the members cert is bound to, sorted; nil if none.
func (t *TrustStore) Members(cert *x509.Certificate) []string {
	fp := sha256.Sum256(cert.Raw)
	t.mu.RLock()
	defer t.mu.RUnlock()
	return slices.Clone(t.certs[fp])
}

// LegacySHA1 reports whether member may use the SHA-1 algorithm forms.
func (t *TrustStore) LegacySHA1(member string) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.legacy[member]
}

// Fingerprint is the lower-case hex SHA-256 of cert's DER encoding, as the
// access log and `darbaza keygen` show it.
func Fingerprint(cert *x509.Certificate) string {
	fp := sha256.Sum256(cert.Raw)
	return hex.EncodeToString(fp[:])
}

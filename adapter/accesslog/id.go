package accesslog

import (
	"crypto/rand"
	"fmt"
)

// NewRecordID returns a fresh record id: a random (version 4) UUID, RFC
// 9562 §5.4.
func NewRecordID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return RecordIDFrom(b)
}

// RecordIDFrom makes a version 4 UUID of 16 random bytes, for callers
// that draw them from a reader of their own.
func RecordIDFrom(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

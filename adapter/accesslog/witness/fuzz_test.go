package witness

import (
	"bytes"
	"testing"
)

// FuzzDecodeAdd: the witness parses add-checkpoint bodies from the
// network. Whatever it accepts must encode back to the same body, so no
// two readings of one request exist.
func FuzzDecodeAdd(f *testing.F) {
	f.Add(encodeAdd(3, [][32]byte{{1}, {2}}, []byte("origin\n5\nAAAA\n\n— k sig\n")))
	f.Add(encodeAdd(0, nil, []byte("o\n1\nAA==\n")))
	f.Add([]byte("old 01\n\nx"))
	f.Add([]byte("old 1\nnot base64\n\nx"))
	f.Add([]byte("old 1\nAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\nx"))
	f.Fuzz(func(t *testing.T, body []byte) {
		old, digests, msg, err := decodeAdd(body)
		if err != nil {
			return
		}
		if again := encodeAdd(old, digests, msg); !bytes.Equal(again, body) {
			t.Errorf("decodeAdd(%q) re-encodes as %q", body, again)
		}
	})
}

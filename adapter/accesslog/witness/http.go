package witness

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"golang.org/x/mod/sumdb/note"
)

// AddPath is the witness's add-checkpoint endpoint (C2SP tlog-witness).
const AddPath = "/add-checkpoint"

// sizeContentType is the media type of a 409 answer's body, the size the
// witness knows (C2SP tlog-witness).
const sizeContentType = "text/x.tlog.size"

// maxRequest bounds an add-checkpoint body: a full extension
// (accesslog.MaxExtension digests, 45 bytes a line) and a note.
const maxRequest = accesslog.MaxExtension*45 + 64<<10

// encodeAdd writes an add-checkpoint request body.
func encodeAdd(oldSize uint64, digests [][32]byte, msg []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", oldSize)
	for _, d := range digests {
		b.WriteString(base64.StdEncoding.EncodeToString(d[:]))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.Write(msg)
	return b.Bytes()
}

// decodeAdd reads an add-checkpoint request body.
func decodeAdd(body []byte) (uint64, [][32]byte, []byte, error) {
	head, msg, ok := bytes.Cut(body, []byte("\n\n"))
	if !ok {
		return 0, nil, nil, fmt.Errorf("%w: no empty line before the checkpoint", ErrMalformed)
	}
	lines := strings.Split(string(head), "\n")
	v, ok := strings.CutPrefix(lines[0], "old ")
	old, err := strconv.ParseUint(v, 10, 64)
	if !ok || err != nil || strconv.FormatUint(old, 10) != v {
		return 0, nil, nil, fmt.Errorf("%w: first line %q, want \"old <size>\"", ErrMalformed, lines[0])
	}
	digests := make([][32]byte, 0, len(lines)-1)
	for _, l := range lines[1:] {
		d, err := base64.StdEncoding.DecodeString(l)
		if err != nil || len(d) != 32 || base64.StdEncoding.EncodeToString(d) != l { // canonical only
			return 0, nil, nil, fmt.Errorf("%w: proof line %q", ErrMalformed, l)
		}
		digests = append(digests, [32]byte(d))
	}
	return old, digests, msg, nil
}

// Handler serves w's add-checkpoint endpoint.
func Handler(w *Witness) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+AddPath, func(rw http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxRequest))
		if err != nil {
			http.Error(rw, "request too large or unreadable", http.StatusBadRequest)
			return
		}
		old, digests, msg, err := decodeAdd(body)
		var cosig []byte
		if err == nil {
			cosig, err = w.Add(old, digests, msg)
		}
		var conflict *ConflictError
		switch {
		case err == nil:
			rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
			rw.Write(cosig)
		case errors.As(err, &conflict):
			rw.Header().Set("Content-Type", sizeContentType)
			rw.WriteHeader(http.StatusConflict)
			fmt.Fprintf(rw, "%d\n", conflict.Known)
		case errors.Is(err, ErrUnknownLog):
			http.Error(rw, err.Error(), http.StatusForbidden)
		case errors.Is(err, ErrRollback), errors.Is(err, ErrFork):
			http.Error(rw, err.Error(), http.StatusUnprocessableEntity)
		case errors.Is(err, ErrMalformed):
			http.Error(rw, err.Error(), http.StatusBadRequest)
		default:
			w.logger.Error("add-checkpoint failed", "err", err)
			http.Error(rw, "internal error", http.StatusInternalServerError)
		}
	})
	return mux
}

// Client talks to one witness.
type Client struct {
	// URL is the witness's base URL; AddPath is appended.
	URL string
	// Verifier checks the witness's cosignatures (NewCosignatureVerifier).
	Verifier note.Verifier
	// HTTP is the client to use; nil means http.DefaultClient.
	HTTP *http.Client
}

// Add sends a checkpoint note with its proof from oldSize, and returns
// the note with the witness's cosignature appended, after checking that
// cosignature. A witness that knows another size answers with a
// *ConflictError; a refusal wraps the class of error the witness named
// (ErrUnknownLog, ErrFork, ErrRollback, ErrMalformed).
func (c *Client) Add(ctx context.Context, oldSize uint64, digests [][32]byte, msg []byte) ([]byte, error) {
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.URL, "/")+AddPath, bytes.NewReader(encodeAdd(oldSize, digests, msg)))
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("witness %s: %w", c.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("witness %s: %w", c.URL, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusConflict:
		known, err := strconv.ParseUint(strings.TrimSpace(string(body)), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("witness %s: 409 without a size: %q", c.URL, body)
		}
		return nil, &ConflictError{Known: known}
	case http.StatusForbidden:
		return nil, fmt.Errorf("witness %s: %w: %s", c.URL, ErrUnknownLog, bytes.TrimSpace(body))
	case http.StatusUnprocessableEntity:
		class := ErrFork
		if bytes.HasPrefix(body, []byte(ErrRollback.Error())) {
			class = ErrRollback
		}
		return nil, fmt.Errorf("witness %s: %w: %s", c.URL, class, bytes.TrimPrefix(bytes.TrimSpace(body), []byte(class.Error()+": ")))
	case http.StatusBadRequest:
		return nil, fmt.Errorf("witness %s: %w: %s", c.URL, ErrMalformed, bytes.TrimSpace(body))
	default:
		return nil, fmt.Errorf("witness %s answered %s: %s", c.URL, resp.Status, bytes.TrimSpace(body))
	}
	// The cosignature must verify over the note's text.
	cosigned := append(append([]byte(nil), msg...), body...)
	if !c.cosigns(cosigned) {
		return nil, fmt.Errorf("witness %s: the answer holds no valid cosignature by %s", c.URL, c.Verifier.Name())
	}
	return cosigned, nil
}

// cosigns reports whether cosigned holds a valid signature by c.Verifier.
func (c *Client) cosigns(cosigned []byte) bool {
	n, err := note.Open(cosigned, note.VerifierList(c.Verifier))
	if err != nil {
		return false
	}
	for _, s := range n.Sigs {
		if s.Name == c.Verifier.Name() && s.Hash == c.Verifier.KeyHash() {
			return true
		}
	}
	return false
}

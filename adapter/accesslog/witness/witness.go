package witness

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"golang.org/x/mod/sumdb/note"
)

// Errors of Witness.Add, tested with errors.Is; the HTTP handler maps
// each to its status.
var (
	// ErrUnknownLog: the note's origin is no log this witness serves, or
	// its signature does not verify with that log's key (403).
	ErrUnknownLog = errors.New("witness: unknown log or bad log signature")
	// ErrConflict: the request's old size is not the size this witness
	// knows (409); *ConflictError carries the known size.
	ErrConflict = errors.New("witness: old size is not the size the witness knows")
	// ErrRollback: the checkpoint is smaller than one already witnessed (422).
	ErrRollback = errors.New("witness: rollback refused")
	// ErrFork: the checkpoint does not extend the one already witnessed
	// (the proof does not lead from its root to the new one, or the same
	// size has another root) (422).
	ErrFork = errors.New("witness: fork refused: the checkpoint does not extend the witnessed one")
	// ErrMalformed: a request that does not parse (400).
	ErrMalformed = errors.New("witness: malformed request")
)

// ConflictError reports the size the witness knows (ErrConflict).
type ConflictError struct{ Known uint64 }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%v: it knows %d", ErrConflict, e.Known)
}

func (e *ConflictError) Unwrap() error { return ErrConflict }

// LogState is what the witness keeps for one log: the newest checkpoint
// it countersigned.
type LogState struct {
	Size uint64 `json:"size"`
	// Root is the chain hash of record Size, lower-case hex.
	Root string `json:"root"`
	// Checkpoint is the signed note as the witness countersigned it: the
	// log's signature and the witness's cosignature. Empty before the
	// first checkpoint.
	Checkpoint string `json:"checkpoint"`
}

// State is the witness's state file: per log origin, the newest
// countersigned checkpoint, and the witness's own verifier key so that an
// auditor reading the file knows which key cosigned (and should check it
// against the key they were given).
type State struct {
	Witness string              `json:"witness"`
	Logs    map[string]LogState `json:"logs"`
}

// ReadState reads a state file.
func ReadState(path string) (State, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return State{}, fmt.Errorf("witness: state: %w", err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return State{}, fmt.Errorf("witness: state %s: %w", path, err)
	}
	if s.Logs == nil {
		s.Logs = map[string]LogState{}
	}
	return s, nil
}

// Witnessed returns the checkpoint the state holds for the log whose
// checkpoint key logVKey is, after checking both its signatures: the
// log's, and the cosignature by witnessVKey (the witness's verifier key as
// the auditor was given it; empty means the one the state file names).
func (s State) Witnessed(logVKey, witnessVKey string) (accesslog.Witnessed, Checkpoint, error) {
	logV, err := NewLogVerifier(logVKey)
	if err != nil {
		return accesslog.Witnessed{}, Checkpoint{}, fmt.Errorf("witness: log key: %w", err)
	}
	if witnessVKey == "" {
		witnessVKey = s.Witness
	}
	wV, err := NewCosignatureVerifier(witnessVKey)
	if err != nil {
		return accesslog.Witnessed{}, Checkpoint{}, fmt.Errorf("witness: witness key: %w", err)
	}
	ls, ok := s.Logs[logV.Name()]
	if !ok || ls.Checkpoint == "" {
		return accesslog.Witnessed{}, Checkpoint{}, fmt.Errorf("witness: the state holds no checkpoint of %q", logV.Name())
	}
	c, err := OpenCosigned([]byte(ls.Checkpoint), logV, wV)
	if err != nil {
		return accesslog.Witnessed{}, Checkpoint{}, err
	}
	return accesslog.Witnessed{Size: c.Size, Head: c.Root}, c, nil
}

// Witness checks and countersigns the checkpoints of the logs it knows,
// keeping its state in a file. Its methods are safe for concurrent use;
// one process should own a state file.
type Witness struct {
	path   string
	signer note.Signer
	vkey   string
	logs   map[string]note.Verifier // by origin
	logger *slog.Logger

	mu    sync.Mutex
	state State
}

// Options configure New.
type Options struct {
	// StatePath is the state file, created if missing. Required.
	StatePath string
	// Key is the witness's signer key (GenerateWitnessKey's skey) and
	// VerifierKey its verifier key. Required.
	Key, VerifierKey string
	// Logs are the verifier keys of the logs' checkpoint keys; each key's
	// name is its log's origin. At least one.
	Logs []string
	// Logger; nil means discard.
	Logger *slog.Logger
}

// New opens the witness state at opts.StatePath (an empty state if the
// file does not exist).
func New(opts Options) (*Witness, error) {
	signer, err := newCosigner(opts.Key)
	if err != nil {
		return nil, err
	}
	if _, err := NewCosignatureVerifier(opts.VerifierKey); err != nil {
		return nil, fmt.Errorf("witness: verifier key: %w", err)
	}
	if len(opts.Logs) == 0 {
		return nil, errors.New("witness: no log to witness")
	}
	w := &Witness{path: opts.StatePath, signer: signer, vkey: opts.VerifierKey, logs: map[string]note.Verifier{}, logger: opts.Logger}
	if w.logger == nil {
		w.logger = slog.New(slog.DiscardHandler)
	}
	for _, k := range opts.Logs {
		v, err := NewLogVerifier(k)
		if err != nil {
			return nil, fmt.Errorf("witness: log key %q: %w", k, err)
		}
		w.logs[v.Name()] = v
	}
	w.state, err = ReadState(opts.StatePath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		w.state = State{Logs: map[string]LogState{}}
	case err != nil:
		return nil, err
	}
	if w.state.Witness != "" && w.state.Witness != opts.VerifierKey {
		return nil, fmt.Errorf("witness: the state %s was made with another witness key", opts.StatePath)
	}
	w.state.Witness = opts.VerifierKey
	return w, nil
}

// Add checks a checkpoint note against the newest one witnessed for its
// log, and countersigns it. oldSize must be the size the witness knows
// (else a *ConflictError says it); digests are the body digests of the
// records from oldSize+1 to the new size (see the package doc). The new
// state is durable before Add returns the cosignature line(s).
func (w *Witness) Add(oldSize uint64, digests [][32]byte, msg []byte) ([]byte, error) {
	n, err := note.Open(msg, note.VerifierList(w.verifiers()...))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnknownLog, err)
	}
	c, err := parseCheckpoint(n.Text)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	logV, ok := w.logs[c.Origin]
	signedByLog := false
	for _, s := range n.Sigs {
		signedByLog = signedByLog || ok && s.Name == logV.Name() && s.Hash == logV.KeyHash()
	}
	if !signedByLog {
		return nil, fmt.Errorf("%w: %q is not signed by its own log key", ErrUnknownLog, c.Origin)
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	old := w.state.Logs[c.Origin]
	var oldRoot [32]byte
	if old.Checkpoint != "" {
		if _, err := hex.Decode(oldRoot[:], []byte(old.Root)); err != nil {
			return nil, fmt.Errorf("witness: state of %q: %w", c.Origin, err)
		}
	}
	switch {
	case oldSize != old.Size:
		return nil, &ConflictError{Known: old.Size}
	case c.Size < old.Size:
		return nil, fmt.Errorf("%w: %q checkpoint of %d records after one of %d", ErrRollback, c.Origin, c.Size, old.Size)
	case old.Size == 0 && len(digests) != 0:
		return nil, fmt.Errorf("%w: a proof from size 0 must be empty", ErrMalformed)
	case old.Size > 0 && uint64(len(digests)) != c.Size-old.Size:
		return nil, fmt.Errorf("%w: %d digests from %d to %d", ErrMalformed, len(digests), old.Size, c.Size)
	}
	// The first checkpoint of a log is taken on trust (there is nothing it
	// must extend; C2SP tlog-witness does the same); every later one must
	// extend the last by the chain.
	if got := accesslog.Extend(oldRoot, digests); old.Size > 0 && got != c.Root {
		w.logger.Error("FORK: checkpoint does not extend the witnessed one; refused",
			"origin", c.Origin, "witnessed_size", old.Size, "witnessed_root", old.Root,
			"size", c.Size, "root", hex.EncodeToString(c.Root[:]))
		return nil, fmt.Errorf("%w: %q from %d to %d", ErrFork, c.Origin, old.Size, c.Size)
	}
	cosigned, err := note.Sign(n, w.signer)
	if err != nil {
		return nil, fmt.Errorf("witness: cosign: %w", err)
	}
	next := w.state
	next.Logs = make(map[string]LogState, len(w.state.Logs)+1)
	for k, v := range w.state.Logs {
		next.Logs[k] = v
	}
	next.Logs[c.Origin] = LogState{Size: c.Size, Root: hex.EncodeToString(c.Root[:]), Checkpoint: string(cosigned)}
	if err := writeState(w.path, next); err != nil {
		return nil, err
	}
	w.state = next
	w.logger.Info("checkpoint countersigned", "origin", c.Origin, "size", c.Size, "root", hex.EncodeToString(c.Root[:]))
	return cosignatureLines(cosigned, w.signer), nil
}

// Known returns the size the witness knows for origin.
func (w *Witness) Known(origin string) uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.state.Logs[origin].Size
}

func (w *Witness) verifiers() []note.Verifier {
	vs := make([]note.Verifier, 0, len(w.logs))
	for _, v := range w.logs {
		vs = append(vs, v)
	}
	return vs
}

// cosignatureLines returns the signature lines of msg made by s.
func cosignatureLines(msg []byte, s note.Signer) []byte {
	var out []byte
	prefix := []byte("\u2014 " + s.Name() + " ")
	_, sigs, _ := bytes.Cut(msg, []byte("\n\n"))
	for line := range bytes.Lines(sigs) {
		if bytes.HasPrefix(line, prefix) {
			out = append(out, line...)
		}
	}
	return out
}

// writeState replaces the state file atomically and durably: a temporary
// file, synced, renamed over it, the folder synced.
func writeState(path string, s State) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".witness-state-*")
	if err != nil {
		return fmt.Errorf("witness: state: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("witness: state: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			return fmt.Errorf("witness: state: sync folder: %w", err)
		}
	}
	return nil
}

// newCosigner is the witness's signer: timestamped cosignature/v1
// (C2SP tlog-cosignature) from an Ed25519 signer key.
func newCosigner(skey string) (note.Signer, error) {
	s, err := fnoteSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("witness: key: %w", err)
	}
	return s, nil
}

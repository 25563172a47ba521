package registry

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// MaxLineBytes bounds one import line, newline excluded.
const MaxLineBytes = 1 << 20

// LineError is a problem with one line of an import file.
type LineError struct {
	Line int // 1-based
	Err  error
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap returns the cause, so errors.Is finds its sentinel.
func (e LineError) Unwrap() error { return e.Err }

// ImportReport says what [Registry.Import] read and wrote.
type ImportReport struct {
	Lines         int // lines read, blank ones included
	Persons       int // person records written (added or replaced)
	Dwellings     int // dwelling records written
	Registrations int // registration records written
	Taxpayers     int // taxpayer records written
	Bindings      int // bindings of entities to individuals written
	Officials     int // officials authorised to sign written
	Apostilles    int // apostille register entries written
	Replaced      int // of the records written, how many replaced one with the same key
	// EndedResidences counts stored open residences that the batch ended
	// because it registers the same person at a new residence.
	EndedResidences int
	// Errors lists every bad line, in line order. When it is not empty
	// nothing was written and the counts above are zero.
	Errors []LineError
}

type batchRecord struct {
	line int
	rec  Record
}

// batch is a parsed import file, keyed for reference checks.
type batch struct {
	persons       map[string]*batchRecord
	dwellings     map[string]*batchRecord
	registrations map[string]*batchRecord
	taxpayers     map[string]*batchRecord
	bindings      map[string]*batchRecord
	officials     map[string]*batchRecord
	apostilles    map[string]*batchRecord
	order         []*batchRecord // line order
}

// Import reads JSON Lines from r (one record per line, see [ParseLine];
// blank lines are skipped) and stores them, all or nothing, in one
// [Store.Update].
//
// Every line is checked on its own ([ParseLine]), then against the rest of
// the batch and the store: dwelling owners must exist, a person may have
// one open residence and one current stay in the batch, and every
// registration must pass [Register], the rule an online registration uses
// too. If any line is bad, the report lists every bad line with its number,
// nothing is written and the error wraps [ErrInvalidBatch]. A line longer than [MaxLineBytes] is reported as
// [ErrLineTooLong]. A read error, a store error or a cancelled ctx aborts the
// import with nothing written; a store opened read-only fails with
// [ErrReadOnly].
//
// Importing a record whose key is already stored replaces the stored record,
// so importing the same file twice leaves the store as after the first time
// (the second import finds nothing to end, and its counts include the
// replacements in Replaced).
func (g *Registry) Import(ctx context.Context, r io.Reader) (ImportReport, error) {
	now := g.now()
	b, rep, err := readBatch(ctx, r, func(line []byte) (Record, error) { return ParseLine(line, now) })
	if err != nil {
		return ImportReport{Lines: rep.Lines}, err
	}
	today := DateOf(now)
	var written ImportReport
	err = g.store.Update(ctx, func(tx Tx) error {
		var err error
		// Bad lines are not in the batch: the good ones are still checked
		// against the store, so that the report names every bad line.
		written, err = b.apply(ctx, tx, today)
		if err == nil && len(rep.Errors) > 0 {
			return ErrInvalidBatch // roll back what the good lines wrote
		}
		return err
	})
	var invalid *batchError
	switch {
	case errors.As(err, &invalid):
		rep.Errors = append(rep.Errors, invalid.errors...)
		fallthrough
	case errors.Is(err, ErrInvalidBatch):
		slices.SortStableFunc(rep.Errors, func(a, b LineError) int { return a.Line - b.Line })
		return rep, fmt.Errorf("%w: %d bad lines", ErrInvalidBatch, len(rep.Errors))
	case err != nil:
		return ImportReport{Lines: rep.Lines}, fmt.Errorf("registry: import: %w", err)
	}
	written.Lines = rep.Lines
	return written, nil
}

// readBatch splits r into lines, parses each with parse, and indexes the
// good ones. Bad lines go to the report; only read errors and ctx end it.
func readBatch(ctx context.Context, r io.Reader, parse func([]byte) (Record, error)) (*batch, ImportReport, error) {
	b := &batch{
		persons:       map[string]*batchRecord{},
		dwellings:     map[string]*batchRecord{},
		registrations: map[string]*batchRecord{},
		taxpayers:     map[string]*batchRecord{},
		bindings:      map[string]*batchRecord{},
		officials:     map[string]*batchRecord{},
		apostilles:    map[string]*batchRecord{},
	}
	var rep ImportReport
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	length := 0
	for {
		chunk, err := br.ReadSlice('\n')
		length += len(chunk)
		if length <= MaxLineBytes+2 { // room for "\r\n"
			line = append(line, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, rep, fmt.Errorf("registry: import: read line %d: %w", rep.Lines+1, err)
		}
		if length == 0 { // end of input right after a newline
			break
		}
		rep.Lines++
		if rep.Lines%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, rep, err
			}
		}
		content := bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
		contentLen := length - (len(line) - len(content))
		switch {
		case length > len(line) || contentLen > MaxLineBytes:
			rep.Errors = append(rep.Errors, LineError{rep.Lines, fmt.Errorf("%w: more than %d bytes", ErrLineTooLong, MaxLineBytes)})
		case len(bytes.TrimSpace(content)) == 0:
		default:
			if rec, err := parse(content); err != nil {
				rep.Errors = append(rep.Errors, LineError{rep.Lines, err})
			} else if err := b.add(&batchRecord{line: rep.Lines, rec: rec}); err != nil {
				rep.Errors = append(rep.Errors, LineError{rep.Lines, err})
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		line, length = line[:0], 0
	}
	return b, rep, ctx.Err()
}

// add indexes br, rejecting a key already in the batch.
func (b *batch) add(br *batchRecord) error {
	var m map[string]*batchRecord
	switch br.rec.Kind {
	case KindPerson:
		m = b.persons
	case KindDwelling:
		m = b.dwellings
	case KindRegistration:
		m = b.registrations
	case KindTaxpayer:
		m = b.taxpayers
	case KindBinding:
		m = b.bindings
	case KindOfficial:
		m = b.officials
	case KindApostille:
		m = b.apostilles
	}
	key := br.rec.Key()
	if first, ok := m[key]; ok {
		return fmt.Errorf("%w: %s %s is also on line %d", ErrDuplicateID, br.rec.Kind, key, first.line)
	}
	m[key] = br
	b.order = append(b.order, br)
	return nil
}

// batchError lists the bad lines [batch.apply] found. It wraps
// [ErrInvalidBatch].
type batchError struct {
	errors []LineError // in the order found, not sorted
}

func (e *batchError) Error() string {
	return fmt.Sprintf("%v: %d bad lines", ErrInvalidBatch, len(e.errors))
}

func (e *batchError) Unwrap() error { return ErrInvalidBatch }

// apply writes the batch in tx and checks it against itself and against
// what tx holds:
//
//   - every dwelling owner exists in the batch or the store
//     ([ErrUnknownPerson]);
//   - a person has at most one open residence and at most one stay current
//     today in the batch ([ErrConflict]);
//   - every registration passes [Register] (person and dwelling exist, no
//     start before birth, a new residence ends the stored one, no second
//     current stay), in two rounds: first the registrations that are
//     history (ended, or a stay whose Until has passed), so that a batch
//     that ends a stored registration by replacing it is seen before its
//     successor, then the open residences and current stays.
//
// Persons go first, then dwellings, then registrations, each in key order.
// If any line is bad it returns a [*batchError] listing them all, having
// written some of the batch: the caller's transaction must roll back, as
// [Store.Update] does on an error. Other errors come from the store or ctx.
func (b *batch) apply(ctx context.Context, tx Tx, today Date) (ImportReport, error) {
	var rep ImportReport
	var bad []LineError
	fail := func(br *batchRecord, err error) { bad = append(bad, LineError{br.line, err}) }
	for _, k := range sortedKeys(b.persons) {
		replaced, err := tx.PutPerson(b.persons[k].rec.Person)
		if err != nil {
			return ImportReport{}, err
		}
		rep.Persons++
		rep.Replaced += boolInt(replaced)
	}
	for _, k := range sortedKeys(b.dwellings) {
		br := b.dwellings[k]
		for i, o := range br.rec.Dwelling.Owners {
			switch _, err := tx.Person(o.PIN); {
			case errors.Is(err, ErrNotFound):
				fail(br, fmt.Errorf("dwelling: owners[%d]: %w: %s", i, ErrUnknownPerson, o.PIN))
			case err != nil:
				return ImportReport{}, err
			}
		}
		replaced, err := tx.PutDwelling(br.rec.Dwelling)
		if err != nil {
			return ImportReport{}, err
		}
		rep.Dwellings++
		rep.Replaced += boolInt(replaced)
	}
	if err := ctx.Err(); err != nil {
		return ImportReport{}, err
	}
	// At most one open residence and one current stay per person in the
	// batch; later ones are refused, in line order.
	live := func(r Registration) bool {
		return r.Type == Residence && r.Open() || r.Type == Stay && r.CurrentOn(today)
	}
	first := map[string]*batchRecord{}
	refused := map[*batchRecord]bool{}
	for _, br := range b.order {
		r := br.rec.Registration
		if br.rec.Kind != KindRegistration || !live(r) {
			continue
		}
		key := r.PIN + " " + string(r.Type)
		f, ok := first[key]
		switch {
		case !ok:
			first[key] = br
		case r.Type == Residence:
			fail(br, fmt.Errorf("registration: %w: second open residence for %s (first on line %d)", ErrConflict, r.PIN, f.line))
			refused[br] = true
		default:
			fail(br, fmt.Errorf("registration: %w: second current stay for %s (first on line %d)", ErrConflict, r.PIN, f.line))
			refused[br] = true
		}
	}
	keys := sortedKeys(b.registrations)
	for _, round := range []bool{false, true} {
		for _, k := range keys {
			br := b.registrations[k]
			r := br.rec.Registration
			if live(r) != round || refused[br] {
				continue
			}
			done, err := Register(tx, r, today)
			switch {
			case isRefusal(err):
				fail(br, fmt.Errorf("registration: %w", err))
				continue
			case err != nil:
				return ImportReport{}, err
			}
			rep.Registrations++
			rep.Replaced += boolInt(done.Replaced)
			rep.EndedResidences += len(done.Ended)
		}
	}
	// The taxpayer and apostille registers, after the persons they name.
	if err := b.applyTaxpayers(tx, &rep, fail); err != nil {
		return ImportReport{}, err
	}
	if err := b.applyApostille(tx, &rep, fail); err != nil {
		return ImportReport{}, err
	}
	if len(bad) > 0 {
		return ImportReport{}, &batchError{errors: bad}
	}
	return rep, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, strings.Compare)
	return keys
}

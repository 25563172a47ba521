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

	bolt "go.etcd.io/bbolt"
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

// ImportReport says what [Store.Import] read and wrote.
type ImportReport struct {
	Lines         int // lines read, blank ones included
	Persons       int // person records written (added or replaced)
	Dwellings     int // dwelling records written
	Registrations int // registration records written
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
	order         []*batchRecord // line order
}

// Import reads JSON Lines from r (one record per line, see [ParseLine];
// blank lines are skipped) and stores them, all or nothing.
//
// Every line is checked on its own, then against the rest of the batch and
// the store in one bbolt write transaction:
//
//   - a key (PIN, dwelling ID, registration ID) appears at most once in the
//     batch ([ErrDuplicateID]);
//   - every dwelling owner, and every registration's person, exists in the
//     batch or the store ([ErrUnknownPerson]); every registration's dwelling
//     too ([ErrUnknownDwelling]);
//   - a registration does not start before its person's birth
//     ([ErrDateOrder]);
//   - a person has at most one open residence and at most one stay current
//     today, counting the store ([ErrConflict]). An open residence in the
//     batch ends the person's open residence in the store, if any and not
//     itself in the batch, on the new one's Since with reason
//     [EndNewResidence] (seed 003, annex 3 §4); it is a conflict if the new
//     one starts before the old one. A current stay in the store, by
//     contrast, must be ended explicitly before another is imported.
//
// If any line is bad, the report lists every bad line with its number, the
// transaction is rolled back and the error wraps [ErrInvalidBatch]. A line
// longer than [MaxLineBytes] is reported as [ErrLineTooLong]. A read error
// or a cancelled ctx aborts the import with nothing written.
//
// Importing a record whose key is already stored replaces the stored record,
// so importing the same file twice leaves the store as after the first time
// (the second import finds nothing to end, and its counts include the
// replacements in Replaced).
func (s *Store) Import(ctx context.Context, r io.Reader) (ImportReport, error) {
	if s.readOnly {
		return ImportReport{}, ErrReadOnly
	}
	now := s.now()
	b, rep, err := readBatch(ctx, r, func(line []byte) (Record, error) { return ParseLine(line, now) })
	if err != nil {
		return ImportReport{Lines: rep.Lines}, err
	}
	today := DateOf(now)
	var written ImportReport
	err = s.db.Update(func(tx *bolt.Tx) error {
		rep.Errors = append(rep.Errors, b.checkReferences(tx, today)...)
		if len(rep.Errors) > 0 {
			return ErrInvalidBatch
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		written, err = b.write(tx, today)
		return err
	})
	switch {
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
	}
	key := br.rec.Key()
	if first, ok := m[key]; ok {
		return fmt.Errorf("%w: %s %s is also on line %d", ErrDuplicateID, br.rec.Kind, key, first.line)
	}
	m[key] = br
	b.order = append(b.order, br)
	return nil
}

// birthDate finds the person in the batch or the store.
func (b *batch) birthDate(tx *bolt.Tx, pin string) (Date, error) {
	if br, ok := b.persons[pin]; ok {
		return br.rec.Person.BirthDate, nil
	}
	var p Person
	if err := getPerson(tx, pin, &p); err != nil {
		return Date{}, err
	}
	return p.BirthDate, nil
}

func (b *batch) dwellingExists(tx *bolt.Tx, id string) bool {
	if _, ok := b.dwellings[id]; ok {
		return true
	}
	return tx.Bucket([]byte(bucketDwellings)).Get([]byte(id)) != nil
}

// checkReferences applies the checks that need the whole batch and the store.
func (b *batch) checkReferences(tx *bolt.Tx, today Date) []LineError {
	var errs []LineError
	fail := func(br *batchRecord, err error) { errs = append(errs, LineError{br.line, err}) }
	personExists := func(pin string) error {
		_, err := b.birthDate(tx, pin)
		return err
	}
	// Open residences and current stays per person, in line order.
	residences := map[string][]*batchRecord{}
	stays := map[string][]*batchRecord{}
	for _, br := range b.order {
		switch br.rec.Kind {
		case KindDwelling:
			for i, o := range br.rec.Dwelling.Owners {
				if err := personExists(o.PIN); err != nil {
					fail(br, fmt.Errorf("dwelling: owners[%d]: %w: %s", i, ErrUnknownPerson, o.PIN))
				}
			}
		case KindRegistration:
			r := br.rec.Registration
			birth, err := b.birthDate(tx, r.PIN)
			if err != nil {
				fail(br, fmt.Errorf("registration: %w: %s", ErrUnknownPerson, r.PIN))
			} else if r.Since.Before(birth) {
				fail(br, fmt.Errorf("registration: %w: since %s before birth %s", ErrDateOrder, r.Since, birth))
			}
			if !b.dwellingExists(tx, r.DwellingID) {
				fail(br, fmt.Errorf("registration: %w: %s", ErrUnknownDwelling, r.DwellingID))
			}
			switch {
			case r.Type == Residence && r.Open():
				residences[r.PIN] = append(residences[r.PIN], br)
			case r.Type == Stay && r.CurrentOn(today):
				stays[r.PIN] = append(stays[r.PIN], br)
			}
		}
	}
	for _, pin := range sortedKeys(residences) {
		list := residences[pin]
		for _, br := range list[1:] {
			fail(br, fmt.Errorf("registration: %w: second open residence for %s (first on line %d)", ErrConflict, pin, list[0].line))
		}
		if len(list) > 1 {
			continue
		}
		olds, err := b.storedOpen(tx, pin, Residence, today)
		if err != nil {
			fail(list[0], err)
		}
		for _, old := range olds {
			if nr := list[0].rec.Registration; nr.Since.Before(old.Since) {
				fail(list[0], fmt.Errorf("registration: %w: new residence since %s starts before the current one %s (since %s)", ErrConflict, nr.Since, old.ID, old.Since))
			}
		}
	}
	for _, pin := range sortedKeys(stays) {
		list := stays[pin]
		for _, br := range list[1:] {
			fail(br, fmt.Errorf("registration: %w: second current stay for %s (first on line %d)", ErrConflict, pin, list[0].line))
		}
		olds, err := b.storedOpen(tx, pin, Stay, today)
		if err != nil {
			fail(list[0], err)
		}
		for _, old := range olds {
			fail(list[0], fmt.Errorf("registration: %w: %s already has current stay %s; end it first", ErrConflict, pin, old.ID))
		}
	}
	return errs
}

// storedOpen returns the stored registrations of pin of type t that are open
// (residence) or current today (stay) and that the batch does not replace.
func (b *batch) storedOpen(tx *bolt.Tx, pin string, t RegistrationType, today Date) ([]Registration, error) {
	regs, err := registrationsOf(tx, pin)
	if err != nil {
		return nil, err
	}
	var out []Registration
	for _, r := range regs {
		if _, replaced := b.registrations[r.ID]; replaced || r.Type != t {
			continue
		}
		if t == Residence && r.Open() || t == Stay && r.CurrentOn(today) {
			out = append(out, r)
		}
	}
	return out, nil
}

// write stores a checked batch: persons, dwellings and registrations each in
// key order (bbolt fills pages best that way), ending stored residences the
// batch supersedes and keeping the indexes in step.
func (b *batch) write(tx *bolt.Tx, today Date) (ImportReport, error) {
	var rep ImportReport
	persons := tx.Bucket([]byte(bucketPersons))
	for _, k := range sortedKeys(b.persons) {
		replaced, err := put(persons, k, b.persons[k].rec.Person)
		if err != nil {
			return rep, err
		}
		rep.Persons++
		rep.Replaced += replaced
	}
	dwellings := tx.Bucket([]byte(bucketDwellings))
	for _, k := range sortedKeys(b.dwellings) {
		replaced, err := put(dwellings, k, b.dwellings[k].rec.Dwelling)
		if err != nil {
			return rep, err
		}
		rep.Dwellings++
		rep.Replaced += replaced
	}
	// End superseded residences before writing, while the index still
	// shows the store as it was.
	for _, k := range sortedKeys(b.registrations) {
		nr := b.registrations[k].rec.Registration
		if nr.Type != Residence || !nr.Open() {
			continue
		}
		olds, err := b.storedOpen(tx, nr.PIN, Residence, today)
		if err != nil {
			return rep, err
		}
		for _, old := range olds {
			old.Ended, old.EndReason = nr.Since, EndNewResidence
			if _, err := put(tx.Bucket([]byte(bucketRegistrations)), old.ID, old); err != nil {
				return rep, err
			}
			rep.EndedResidences++
		}
	}
	regs := tx.Bucket([]byte(bucketRegistrations))
	byPIN := tx.Bucket([]byte(bucketRegsByPIN))
	byDwelling := tx.Bucket([]byte(bucketRegsByDwell))
	var pinKeys, dwellingKeys [][]byte
	for _, k := range sortedKeys(b.registrations) {
		r := b.registrations[k].rec.Registration
		var old Registration
		switch err := getRegistration(tx, k, &old); {
		case err == nil:
			if err := byPIN.Delete(pinIndexKey(old.PIN, old.ID)); err != nil {
				return rep, err
			}
			if err := byDwelling.Delete(dwellingIndexKey(old.DwellingID, old.ID)); err != nil {
				return rep, err
			}
		case !errors.Is(err, ErrNotFound):
			return rep, err
		}
		replaced, err := put(regs, k, r)
		if err != nil {
			return rep, err
		}
		pinKeys = append(pinKeys, pinIndexKey(r.PIN, r.ID))
		dwellingKeys = append(dwellingKeys, dwellingIndexKey(r.DwellingID, r.ID))
		rep.Registrations++
		rep.Replaced += replaced
	}
	// Index entries in key order too: random order costs a memmove per
	// insert in bbolt's nodes.
	for _, ix := range []struct {
		b    *bolt.Bucket
		keys [][]byte
	}{{byPIN, pinKeys}, {byDwelling, dwellingKeys}} {
		slices.SortFunc(ix.keys, bytes.Compare)
		for _, k := range ix.keys {
			if err := ix.b.Put(k, nil); err != nil {
				return rep, err
			}
		}
	}
	return rep, nil
}

// put stores v under key and returns 1 if it replaced a value, else 0.
func put(bk *bolt.Bucket, key string, v any) (int, error) {
	raw, err := encode(v)
	if err != nil {
		return 0, err
	}
	replaced := 0
	if bk.Get([]byte(key)) != nil {
		replaced = 1
	}
	return replaced, bk.Put([]byte(key), raw)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, strings.Compare)
	return keys
}

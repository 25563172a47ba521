package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"sort"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/adapter/accesslog/witness"
)

// witnessedFromState reads a witness's state file and returns the newest
// checkpoint it countersigned for the log whose checkpoint certificate is
// among certs, after checking the log's signature (by that certificate's
// key) and the witness's cosignature (by witnessKey, or, if empty, the key
// the state file names). It also returns a line for the summary.
func witnessedFromState(path, witnessKey string, certs []*x509.Certificate) (*accesslog.Witnessed, string, error) {
	st, err := witness.ReadState(path)
	if err != nil {
		return nil, "", err
	}
	origins := make([]string, 0, len(st.Logs))
	for o := range st.Logs {
		origins = append(origins, o)
	}
	sort.Strings(origins)
	var errs []error
	for _, origin := range origins {
		for _, c := range certs {
			vkey, err := witness.VerifierKeyFor(origin, c.PublicKey)
			if err != nil {
				continue // an RSA certificate cannot sign checkpoint notes
			}
			w, cp, err := st.Witnessed(vkey, witnessKey)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", origin, err))
				continue
			}
			who := "the key the state file names"
			if witnessKey != "" {
				who = "the given witness key"
			}
			return &w, fmt.Sprintf("witness state %s: log %s, %d records, cosigned (checked with %s)\n", path, cp.Origin, cp.Size, who), nil
		}
	}
	if len(errs) == 0 {
		errs = append(errs, errors.New("no checkpoint in it is signed by the key of a given certificate"))
	}
	return nil, "", fmt.Errorf("witness state %s: %w", path, errors.Join(errs...))
}

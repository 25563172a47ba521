package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/darbaza/darbaza/adapter/config"
	"github.com/darbaza/darbaza/registry"
)

const importUsage = `Usage: darbaza import [--data DIR | --config FILE] FILE.jsonl

Loads persons, dwellings and registrations, taxpayers and their bindings to
legal entities, officials authorised to sign and apostille register entries
from JSON Lines, one object per line with a "kind" of person, dwelling,
registration, taxpayer, binding, official or apostille. Every line is
checked (PIN format and birth date, dates, references between records); if
any line is bad, every bad line is listed with its number and nothing is
imported. Records whose key exists are replaced, so importing a file twice is
harmless. Stop the server first: the registry file is locked while it runs.
With --config and storage: postgres, the lines go into the database in one
transaction, while the nodes serve.

Every record kind and field, with examples and the errors you get:
docs/import.md in the source tree (/usr/share/doc/darbaza/docs/import.md
where the Debian package is installed).

Flags:
`

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("import", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, importUsage); fl.PrintDefaults() }
	data := fl.String("data", "./data", "data folder holding registry.db")
	configPath := fl.String("config", "", "the server's config file: its storage (bolt in data_dir, or postgres) is imported into")
	if err := fl.Parse(args); err != nil {
		return exitUsage(err)
	}
	if fl.NArg() != 1 {
		fl.Usage()
		return 2
	}
	f, err := os.Open(fl.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "darbaza import:", err)
		return 2
	}
	defer f.Close()
	rs, closeStore, err := importStore(ctx, *data, *configPath)
	if err != nil {
		fmt.Fprintln(stderr, "darbaza import:", err)
		return 2
	}
	defer closeStore()
	store := registry.New(rs, registry.Options{})
	stopProfiles, err := startProfiles()
	if err != nil {
		fmt.Fprintln(stderr, "darbaza import:", err)
		return 2
	}
	rep, err := store.Import(ctx, f)
	if perr := stopProfiles(); perr != nil {
		fmt.Fprintln(stderr, "darbaza import: writing the profiles:", perr)
	}
	for _, le := range rep.Errors {
		fmt.Fprintf(stderr, "%s:%d: %v\n", fl.Arg(0), le.Line, le.Err)
	}
	if err != nil {
		if errors.Is(err, registry.ErrInvalidBatch) {
			fmt.Fprintf(stderr, "darbaza import: %d bad lines of %d; nothing was imported\n", len(rep.Errors), rep.Lines)
			return 1
		}
		fmt.Fprintln(stderr, "darbaza import:", err)
		return 2
	}
	fmt.Fprintf(stdout, "imported %d lines: %d persons, %d dwellings, %d registrations (%d replaced, %d residences ended by newer ones)\n",
		rep.Lines, rep.Persons, rep.Dwellings, rep.Registrations, rep.Replaced, rep.EndedResidences)
	if rep.Taxpayers+rep.Bindings+rep.Officials+rep.Apostilles > 0 {
		fmt.Fprintf(stdout, "and %d taxpayers, %d bindings to entities, %d officials authorised to sign, %d apostille entries\n",
			rep.Taxpayers, rep.Bindings, rep.Officials, rep.Apostilles)
	}
	return 0
}

// importStore opens the registry store to import into: that of the
// config (its database, or the file in its data folder), or the file in
// data without a config. The function returned closes it.
func importStore(ctx context.Context, data, configPath string) (registry.Store, func(), error) {
	if configPath != "" {
		cfg, err := config.Load(configPath)
		if err != nil {
			return nil, nil, err
		}
		return openConfiguredStore(ctx, cfg, false)
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, nil, err
	}
	return openBoltRegistry(dataDir(data), false)
}

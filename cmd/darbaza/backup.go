package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/darbaza/darbaza/adapter/accesslog"
	"github.com/darbaza/darbaza/adapter/config"
	"github.com/darbaza/darbaza/registry/boltstore"
)

const backupUsage = `Usage: darbaza backup [--data DIR] [--config FILE] --out DIR

Copies the registry (registry.db) and the access log (accesslog.db) into a
new folder, consistently: each store as of one moment. It does not copy the
keys: a backup kept with the keys that sign the log would let whoever holds
it rewrite the log's history and sign it again. It says where the keys are
(the config's signing.key and access_log.checkpoint_key when --config is
given, and the data folder's keys/); keep them elsewhere, apart from the
backups, or in an HSM.

While the server runs, the copies come from it through DATA/admin.sock (only
the server's OS user may use that socket) and requests go on meanwhile.
When it is stopped, the files are read directly.

The copy is a data folder without keys/: 'darbaza audit verify --data OUT
--cert CHECKPOINT.crt' checks its access log; to restore, put the keys back
(or name them in the config) and point data_dir at it.

With --config and storage: postgres, the registry and the access log are in
the database: the copy holds the config file and postgres.dump (not the keys),
made by pg_dump (--format=custom, one consistent snapshot, while the nodes
serve); restore it with pg_restore (docs/postgres.md).

Flags:
`

func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("backup", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, backupUsage); fl.PrintDefaults() }
	data := fl.String("data", "./data", "the server's data folder")
	configPath := fl.String("config", "", "the server's config file: its data folder or database, and where its keys are")
	out := fl.String("out", "", "folder to create for the copy (must not exist)")
	if err := fl.Parse(args); err != nil {
		return exitUsage(err)
	}
	if code := checkArgs(stderr, fl, 0, "", "out"); code != 0 {
		return code
	}
	from := dataDir(*data)
	var cfg *config.Config
	if *configPath != "" {
		c, err := config.Load(*configPath)
		if err != nil {
			fmt.Fprintln(stderr, "darbaza backup:", err)
			return 2
		}
		cfg = &c
		dataSet := false
		fl.Visit(func(f *flag.Flag) { dataSet = dataSet || f.Name == "data" })
		if !dataSet {
			from = dataDir(cfg.DataDir)
		}
	}
	if err := os.Mkdir(*out, 0o700); err != nil {
		fmt.Fprintln(stderr, "darbaza backup:", err)
		return 2
	}
	if cfg != nil && cfg.Storage == "postgres" {
		if err := backupPostgres(ctx, *cfg, *configPath, *out); err != nil {
			fmt.Fprintln(stderr, "darbaza backup:", err)
			return 1
		}
		fmt.Fprintf(stdout, "backed up the config and the database (pg_dump) into %s\n", *out)
	} else {
		hot, err := backupStores(ctx, from, dataDir(*out))
		if err != nil {
			fmt.Fprintln(stderr, "darbaza backup:", err)
			return 1
		}
		how := "from the stopped server's files"
		if hot {
			how = "from the running server"
		}
		fmt.Fprintf(stdout, "backed up %s into %s (%s)\n", string(from), *out, how)
	}
	fmt.Fprintln(stdout, "the keys are not in the backup; back them up apart from it:")
	for _, k := range keyLocations(cfg, from) {
		fmt.Fprintln(stdout, "  "+k)
	}
	return 0
}

// keyLocations says where the keys a restore needs are: the adapter's and
// the checkpoint key (from the config, when there is one) and the data
// folder's keys/ (the subject HMAC key and the default key pair).
func keyLocations(cfg *config.Config, data dataDir) []string {
	var keys []string
	if cfg != nil {
		keys = append(keys, "adapter key: "+cmp.Or(cfg.Signing.Key, data.AdapterKeyPath()))
		if cfg.AccessLog.CheckpointKey != "" {
			keys = append(keys, "checkpoint key: "+cfg.AccessLog.CheckpointKey)
		}
	}
	return append(keys, "subject HMAC key and default keys: "+data.KeysDir())
}

// backupStores copies both stores into out, from the running server if its
// admin socket answers, else from the files. It reports which.
func backupStores(ctx context.Context, data, out dataDir) (hot bool, err error) {
	sock := data.AdminSocketPath()
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{Timeout: 2 * time.Second}).DialContext(ctx, "unix", sock)
		},
	}}
	for i, name := range []string{registryFile, accessLogFile} {
		err := writeFileAtomic(filepath.Join(string(out), name), func(w io.Writer) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://admin/backup/"+name, nil)
			if err != nil {
				return err
			}
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("server answered %s", resp.Status)
			}
			_, err = io.Copy(w, resp.Body)
			return err
		})
		var opErr *net.OpError
		if i == 0 && errors.As(err, &opErr) {
			return false, backupFiles(ctx, data, out) // no server listening
		}
		if err != nil {
			return true, fmt.Errorf("%s from the running server: %w", name, err)
		}
	}
	return true, checkCopies(out)
}

// backupFiles copies the stores of a stopped server.
func backupFiles(ctx context.Context, data, out dataDir) error {
	store, err := boltstore.Open(data.RegistryPath(), boltstore.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer store.Close()
	if err := writeFileAtomic(out.RegistryPath(), func(w io.Writer) error {
		_, err := store.Backup(ctx, w)
		return err
	}); err != nil {
		return err
	}
	log, err := accesslog.OpenReader(data.AccessLogPath(), 0)
	if err != nil {
		return err
	}
	defer log.Close()
	if err := writeFileAtomic(out.AccessLogPath(), func(w io.Writer) error {
		_, err := log.Backup(ctx, w)
		return err
	}); err != nil {
		return err
	}
	return checkCopies(out)
}

// checkCopies opens both copies, so a copy cut short is caught now.
func checkCopies(out dataDir) error {
	store, err := boltstore.Open(out.RegistryPath(), boltstore.Options{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("the registry copy does not open: %w", err)
	}
	store.Close()
	log, err := accesslog.OpenReader(out.AccessLogPath(), 0)
	if err != nil {
		return fmt.Errorf("the access log copy does not open: %w", err)
	}
	return log.Close()
}

// writeFileAtomic writes path through a synced temporary file.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp := path + ".part"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

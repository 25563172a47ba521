package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/darbaza/darbaza/signing"
)

// demoMembers are the callers of the demo setup and what each may call,
// after the systems that use the registry through Tunduk (docs/domain.md).
var demoMembers = []struct {
	name, id string
	services []string
}{
	{"portal", "central-server/GOV/70000002/portal", []string{"getPerson", "getRegistration", "getAccessHistory",
		"submitRegistration", "confirmRegistration", "deregister", "getApplicationStatus",
		"issueAddressCertificate", "verifyDocument", "getApostille"}},
	{"sanarip-aymak", "central-server/GOV/70000003/sanarip-aymak", []string{"getPerson", "getRegistration", "getDwellingResidents", "verifyDocument", "getApostille"}},
	{"tax-cabinet", "central-server/GOV/70000004/tax-cabinet", []string{"getPerson", "getRegistration", "verifyDocument", "getTaxpayer", "getApostille"}},
	{"apostille", "central-server/GOV/70000005/apostille", []string{"getPerson", "verifyDocument", "registerApostille", "getApostille"}},
}

// prepareDemo makes dir a complete demo setup unless it already is one, and
// returns its config file. Keys are made fresh on this machine; nothing
// secret is in the source tree.
func prepareDemo(dir string, stdout io.Writer) (string, error) {
	configPath := filepath.Join(dir, "darbaza.yaml")
	if _, err := os.Stat(configPath); err == nil {
		return configPath, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	data := demoDataDir(dir)
	for _, sub := range []string{data.KeysDir(), filepath.Join(dir, "members")} {
		if err := os.MkdirAll(sub, 0o700); err != nil {
			return "", err
		}
	}
	now := time.Now()
	const validFor = 2 * 365 * 24 * time.Hour
	if _, err := writeKeyPair(data.AdapterKeyPath(), data.AdapterCertPath(), signing.KeyECDSAP256, "central-server/GOV/70000001/population-registry", validFor, now); err != nil {
		return "", err
	}
	var members strings.Builder
	for _, m := range demoMembers {
		base := filepath.Join(dir, "members", m.name)
		if _, err := writeKeyPair(base+".key", base+".crt", signing.KeyECDSAP256, m.id, validFor, now); err != nil {
			return "", err
		}
		fmt.Fprintf(&members, "  - id: %s\n    certificates: [members/%s.crt]\n    services: [%s]\n",
			m.id, m.name, strings.Join(m.services, ", "))
	}
	if err := os.WriteFile(configPath, []byte(demoConfig+members.String()), 0o600); err != nil {
		return "", err
	}
	fmt.Fprintf(stdout, "darbaza: prepared the demo setup in %s (keys, member certificates, %s)\n", dir, configPath)
	return configPath, nil
}

// demoDataDir is the data folder of the demo setup in dir, as its config
// names it (data_dir: data).
func demoDataDir(dir string) dataDir { return dataDir(filepath.Join(dir, "data")) }

// printDemoHint shows a working command that sends a signed demo request.
func printDemoHint(stdout io.Writer, dir, url string) {
	fmt.Fprintf(stdout, `darbaza: try it from another terminal:
  bin/darbaza send --url %[2]s --key %[1]s/members/portal.key --cert %[1]s/members/portal.crt \
      --server-cert %[3]s testdata/requests/getPerson-found.xml
`, dir, url, demoDataDir(dir).AdapterCertPath())
}

// demoConfig is the head of the demo config; it documents every field.
const demoConfig = `# Darbaza configuration (made by 'darbaza serve --demo'). Every field is
# optional and shows its default unless noted; unknown keys stop the start.

# Address of the SOAP endpoint, /metrics, /healthz and /readyz.
listen: "127.0.0.1:8080"
# Folder of registry.db, accesslog.db and keys/ (relative to this file).
data_dir: data
# This adapter's X-Road identifier: INSTANCE/CLASS/CODE/SUBSYSTEM.
provider: central-server/GOV/70000001/population-registry
# Load the built-in demo dataset when the registry is empty (default false).
demo: true
# Where the registry and the access log are kept: bolt (files in data_dir, one
# node) or postgres (one database several nodes share: add a postgres: section
# with dsn and password_file; docs/postgres.md).
storage: bolt

tls:
  cert: ""        # server certificate (PEM); empty means plain HTTP
  key: ""         # its private key (PEM)
  client_ca: ""   # issuers of client certificates; empty: the trusted proxies themselves

signing:
  key: ""         # adapter key (PEM); default DATA_DIR/keys/adapter.key
  cert: ""        # adapter certificate (PEM); default DATA_DIR/keys/adapter.crt
  max_clock_skew: 5m   # how far a caller's clock may differ from ours
  max_age: 15m         # how old a request's Timestamp may be; ids are kept this long (+2 skews) against replays
  response_ttl: 5m     # validity stated in our responses' Timestamp

limits:
  max_body_bytes: 262144   # larger requests are refused unread (Client.MessageTooLarge)
  max_depth: 24            # XML nesting (Client.XmlTooDeep)
  max_elements: 2000       # elements per message (Client.TooManyElements)
  max_references: 16       # signature references
  max_in_flight: 32        # requests processed at once (a slot is taken once the body is read)
  max_queued: 64           # requests waiting for a slot; more are refused at once (Server.ServerProxy.Busy, HTTP 503)
  max_queue_wait: 1s       # a request waiting longer for a slot is refused (Server.ServerProxy.Busy)
  body_timeout: 10s        # a request body must arrive within this
  min_body_rate: 1024      # and at this many bytes/s or more after its first second (0: no minimum)

http:
  read_timeout: 10s
  write_timeout: 15s
  idle_timeout: 60s
  shutdown_timeout: 20s    # how long a shutdown waits for requests in flight

access_log:
  checkpoint_interval: 1m  # how often a signed checkpoint of the chain is written

documents:                 # address certificates (docs/documents.md)
  key: ""                  # document-signing key (PEM); empty: the adapter key
  cert: ""                 # its certificate (PEM); empty: the adapter certificate
  issuer_ky: "Калкты каттоо реестри"          # issuing body on the certificate, Kyrgyz
  issuer_ru: "Реестр регистрации населения"   # and Russian
  verify_url: https://population.tunduk.kg/verify   # the QR code holds this + ?number=NUMBER
  max_failed_lookups: 20   # verifyDocument look-ups finding nothing, per client ...
  failed_lookup_window: 1h # ... within this window; then Client.TooManyFailedLookups
registration:             # applications through the portal (submitRegistration ...)
  confirm_within: 72h     # an application unconfirmed by its applicant this long lapses
  # Days off on which no refusal notice falls due: MM-DD every year, YYYY-MM-DD once
  # (add Orozo Ait and Kurman Ait each year). A list here replaces this default.
  holidays: ["01-01", "01-07", "02-23", "03-08", "03-21", "04-07", "05-01", "05-05", "05-09", "08-31", "11-07", "11-08"]

# Where an apostille has effect: the Apostille Convention's parties (ISO 3166-1
# alpha-2) and those objecting to Kyrgyzstan's accession, as of a date. Empty:
# the list built in (as of 2024-11-01); set all three to follow the HCCH table.
apostille:
  hague_as_of: ""
  hague_parties: []
  hague_objectors: []

# The auditors' web console (docs/console.md), off while no auditor is named.
# To turn it on: darbaza keygen --out members --name console-tls, then
# darbaza console-password --name NAME (reads the password on stdin), and:
#   console:
#     listen: 127.0.0.1:8443   # its own HTTPS address, never the SOAP port
#     cert: members/console-tls.crt
#     key: members/console-tls.key
#     auditors:
#       - name: NAME
#         password_hash: "..."          # what console-password printed
#       - name: OTHER
#         certificate: auditors/other.crt  # or sign in with a TLS client certificate

# TLS client certificates (PEM) of Tunduk security servers that may send
# unsigned requests; they need tls.cert and tls.key. Access rights still apply.
trusted_proxies: []

# Callers: X-Road client id, signing certificate(s), services allowed.
# To add one: darbaza keygen --out members --name NAME --member ID, then the block it prints.
members:
`

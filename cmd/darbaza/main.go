// Command darbaza is the provider-side adapter of the population registry on
// Tunduk (X-Road 4.0): it answers signed SOAP queries from its embedded
// store, signs its answers and keeps a tamper-evident access log.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `darbaza: the population registry's gate to Tunduk (X-Road 4.0).

Usage: darbaza <command> [flags]

Commands:
  serve     run the SOAP server (darbaza serve --demo for a ready-made demo)
  import    load persons, dwellings and registrations from a JSON Lines file
  migrate   create or update the PostgreSQL schema (storage: postgres)
  keygen    make a key and self-signed certificate for the adapter or a member
  sign      sign an X-Road request file with a member's key (for integrators)
  send      sign a request, send it, verify the signed answer and print it
  audit     verify, list, export and archive the access log (for auditors)
  console-password
            hash an auditor's password for the web console (docs/console.md)
  witness   countersign the access log's checkpoints from another machine
  backup    copy the registry, access log and keys, also while serving
  certificate  issue, verify and render address certificates
  bench     measure signed requests over HTTP against a server process of its own
  version   print the version

Run 'darbaza <command> -h' for the flags of a command.
Samples to send: testdata/requests/ in the source tree; README.md explains them.
`

// run dispatches to a subcommand and returns the process exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	commands := map[string]func(context.Context, []string, io.Writer, io.Writer) int{
		"serve":       runServe,
		"import":      runImport,
		"migrate":     runMigrate,
		"keygen":      runKeygen,
		"sign":        runSign,
		"send":        runSend,
		"audit":       runAudit,
		"backup":      runBackup,
		"bench":       runBench,
		"certificate": runCertificate,
		"witness":     runWitness,
		"version":     runVersion,

		"console-password": runConsolePassword,
	}
	if cmd, ok := commands[args[0]]; ok {
		return cmd(ctx, args[1:], stdout, stderr)
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "darbaza: unknown command %q\n\n%s", args[0], usage)
	return 2
}

package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/darbaza/darbaza/adapter/console"
)

const consolePasswordUsage = `Usage: darbaza console-password [--name AUDITOR] < password-file

Reads a password (the first line of standard input) and prints its argon2id
hash for an auditor's console.auditors[].password_hash (docs/console.md). With
--name, prints the whole config entry. The password is never echoed back or
stored. To type it without echo in a shell:

  read -rs P && printf '%s\n' "$P" | darbaza console-password --name aida; unset P

Flags:
`

// runConsolePassword hashes an auditor's password for the config.
func runConsolePassword(_ context.Context, args []string, stdout, stderr io.Writer) int {
	return consolePassword(args, os.Stdin, stdout, stderr)
}

func consolePassword(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("console-password", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { io.WriteString(stderr, consolePasswordUsage); fl.PrintDefaults() }
	name := fl.String("name", "", "the auditor's name: print a config entry, not only the hash")
	if err := fl.Parse(args); err != nil {
		return exitUsage(err)
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "darbaza console-password: unexpected argument %q (the password is read from standard input)\n", fl.Arg(0))
		return 2
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		fmt.Fprintln(stderr, "darbaza console-password:", err)
		return 1
	}
	password := strings.TrimRight(line, "\r\n")
	hash, err := console.HashPassword(password, console.DefaultArgon2, nil)
	if err != nil {
		fmt.Fprintln(stderr, "darbaza console-password:", err)
		return 1
	}
	if *name == "" {
		fmt.Fprintln(stdout, hash)
		return 0
	}
	fmt.Fprintf(stdout, "    - name: %s\n      password_hash: %q\n", *name, hash)
	return 0
}

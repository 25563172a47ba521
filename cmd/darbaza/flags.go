package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// checkArgs reports, by name, what a command line lacks: each required
// flag left empty, and arguments other than nargs (named argName in the
// message). It returns 0 when nothing is missing; otherwise it prints the
// problem and the command's usage and returns 2, the exit status of a bad
// command line.
func checkArgs(stderr io.Writer, fl *flag.FlagSet, nargs int, argName string, required ...string) int {
	var problems []string
	for _, name := range required {
		if f := fl.Lookup(name); f != nil && f.Value.String() == "" {
			problems = append(problems, "--"+name+" is required")
		}
	}
	switch {
	case nargs >= 0 && fl.NArg() < nargs:
		problems = append(problems, argName+" is missing")
	case nargs >= 0 && fl.NArg() > nargs:
		problems = append(problems, fmt.Sprintf("unexpected argument %q", fl.Arg(nargs)))
	}
	if len(problems) == 0 {
		return 0
	}
	fmt.Fprintf(stderr, "darbaza %s: %s\n\n", fl.Name(), strings.Join(problems, "; "))
	fl.Usage()
	return 2
}

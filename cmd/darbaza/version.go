package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// Set at build time by the Makefile (and so by the Debian package):
//
//	go build -ldflags "-X main.version=0.4.0 -X main.commit=$(git rev-parse HEAD)"
//
// A plain `go build` leaves them empty; build reads what the Go toolchain
// recorded instead (the module version, the VCS revision).
var version, commit string

// buildInfo is what this binary says about itself.
type buildInfo struct {
	Version, Commit, GoVersion string
}

func build() buildInfo {
	b := buildInfo{Version: version, Commit: commit, GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" {
			b.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && b.Commit == "" {
				b.Commit = s.Value
			}
		}
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	return b
}

// newBuildInfoMetric is darbaza_build_info: always 1, labelled with the
// version, commit and Go version, as Prometheus exporters do.
func newBuildInfoMetric(b buildInfo) prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "darbaza_build_info",
		Help:        "Darbaza's version, commit and Go version, as labels; the value is 1.",
		ConstLabels: prometheus.Labels{"version": b.Version, "commit": b.Commit, "goversion": b.GoVersion},
	})
	g.Set(1)
	return g
}

const versionUsage = `Usage: darbaza version

Prints the version, the commit and the Go version this binary was built
from (stamped by make build; /metrics has them as darbaza_build_info).
`

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("version", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, versionUsage) }
	if err := fl.Parse(args); err != nil {
		return exitUsage(err)
	}
	if code := checkArgs(stderr, fl, 0, ""); code != 0 {
		return code
	}
	b := build()
	fmt.Fprintf(stdout, "darbaza %s (commit %s, %s)\n", b.Version, b.Commit, b.GoVersion)
	return 0
}

package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// The profiling hooks of 'darbaza serve', which 'darbaza bench --profile'
// sets, and of 'darbaza import': a file name in cpuProfileEnv records a CPU
// profile of the whole serve or import, one in allocProfileEnv the
// allocations it made (pprof's "allocs" profile, every sample), written
// when the server stops or the import ends. Unset, they cost nothing.
const (
	cpuProfileEnv   = "DARBAZA_CPU_PROFILE"
	allocProfileEnv = "DARBAZA_ALLOC_PROFILE"
)

// startProfiles starts what the environment asks for; stop writes the
// profiles.
func startProfiles() (stop func() error, err error) {
	cpuPath, allocPath := os.Getenv(cpuProfileEnv), os.Getenv(allocProfileEnv)
	var cpu *os.File
	if cpuPath != "" {
		if cpu, err = os.Create(cpuPath); err != nil {
			return nil, fmt.Errorf("%s: %w", cpuProfileEnv, err)
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			cpu.Close()
			return nil, fmt.Errorf("%s: %w", cpuProfileEnv, err)
		}
	}
	return func() error {
		var err error
		if cpu != nil {
			pprof.StopCPUProfile()
			err = cpu.Close()
		}
		if allocPath != "" {
			err = errors.Join(err, writeAllocs(allocPath))
		}
		return err
	}, nil
}

func writeAllocs(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC() // the profile is as of the last collection
	return errors.Join(pprof.Lookup("allocs").WriteTo(f, 0), f.Close())
}

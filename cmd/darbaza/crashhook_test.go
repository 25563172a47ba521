package main

import (
	"net/http"
	"testing"
)

func TestCrashHookIsOffUnlessSetAndRefusesABadCount(t *testing.T) {
	h := http.NewServeMux()
	got, err := crashAfterResponses(h, "")
	if err != nil {
		t.Fatal(err)
	}
	if got != http.Handler(h) {
		t.Error("an empty setting wrapped the handler")
	}
	for _, bad := range []string{"0", "-1", "x", "1.5"} {
		if _, err := crashAfterResponses(h, bad); err == nil {
			t.Errorf("%s=%q accepted", crashAfterEnv, bad)
		}
	}
}

package console

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestChoosingALanguageNeverRedirectsElsewhere(t *testing.T) {
	for _, p := range []string{"//evil.example/x", "///evil.example", "/../..//evil.example", "/search"} {
		r := httptest.NewRequest(http.MethodGet, "/?lang=ru&q=abc", nil)
		r.URL.Path = p // as a request line "GET //evil.example/x?lang=ru" yields
		w := httptest.NewRecorder()
		if !switchLang(w, r) {
			t.Fatalf("%s?lang=ru was not taken as a language choice", p)
		}
		loc := w.Header().Get("Location")
		u, err := url.Parse(loc)
		if err != nil || u.Host != "" || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || u.Query().Get("q") != "abc" || u.Query().Has("lang") {
			t.Errorf("GET %s?lang=ru redirects to %q", p, loc)
		}
		for _, l := range langLinks(r, "ru") {
			if strings.HasPrefix(l.URL, "//") {
				t.Errorf("language link %q for path %s", l.URL, p)
			}
		}
	}
}

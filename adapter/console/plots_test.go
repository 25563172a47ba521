package console

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

func TestLineChartIsWellFormedSVGWithEscapedNames(t *testing.T) {
	from := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	h := newHourly(from, 24)
	for i := range 12 {
		for j := 0; j <= i; j++ {
			h.add(fmt.Sprintf("client-%02d", i), from.Add(time.Duration(j)*time.Hour+time.Minute))
		}
	}
	h.add(`<script>alert("x")</script>`, from)
	h.add("outside", from.Add(24*time.Hour)) // after the period: not counted
	svg := string(lineChart("c", "Requests & faults", "other", h))
	dec := xml.NewDecoder(strings.NewReader(svg))
	lines, legends := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "polyline":
				lines++
			case "script":
				t.Fatal("a series name became an element")
			case "text":
				for _, a := range se.Attr {
					if a.Name.Local == "data-series" {
						legends++
					}
				}
			}
		}
	}
	if lines != maxSeries || legends != maxSeries {
		t.Fatalf("%d lines and %d legend entries for 13 series, want %d (the smallest summed as other)", lines, legends, maxSeries)
	}
	if !strings.Contains(svg, `data-series="client-11">client-11 (12)`) || !strings.Contains(svg, `data-series="other"`) || strings.Contains(svg, "outside") {
		t.Fatalf("series or totals wrong:\n%s", svg)
	}
}

func TestNiceCeilGivesRoundGridLines(t *testing.T) {
	for n, want := range map[int]int{0: 4, 1: 4, 4: 4, 5: 8, 9: 20, 21: 40, 39: 40, 41: 80, 81: 200, 1001: 2000} {
		if got := niceCeil(n); got != want || got < n {
			t.Errorf("niceCeil(%d) = %d, want %d", n, got, want)
		}
	}
}

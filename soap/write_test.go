package soap

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/beevik/etree"
)

// checkBytes asserts that Bytes writes doc as etree does.
func checkBytes(tb testing.TB, doc *etree.Document) {
	tb.Helper()
	doc.WriteSettings = messageSettings
	want, err := doc.WriteToBytes()
	if err != nil {
		tb.Fatal(err)
	}
	got, err := (&Message{Doc: doc}).Bytes()
	if err != nil {
		tb.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		tb.Fatalf("Bytes differs from etree:\n got %q\nwant %q", got, want)
	}
}

func TestBytesEqualEtree(t *testing.T) {
	files, _ := filepath.Glob("../testdata/responses/*.xml")
	if len(files) == 0 {
		t.Fatal("no golden responses")
	}
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(raw); err != nil {
			t.Fatal(err)
		}
		checkBytes(t, doc)
	}
	// Every escape, control characters, bad UTF-8, and the characters
	// XML does not allow.
	nasty := "a&b<c>d\"e'f\tg\nh\ri\x00j\x1fk\x7fl\xffm\xed\xa0\x80n\uFFFEo\uFFFFp\uFFFDq😀r"
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	root := doc.CreateElement("p:root")
	root.CreateAttr("xmlns:p", "urn:x")
	root.CreateAttr("p:v", nasty)
	root.CreateElement("empty")
	root.CreateElement("text").SetText(nasty)
	checkBytes(t, doc)

	// What it does not write itself it leaves to etree, the same.
	doc.Root().CreateComment("a comment")
	doc.Root().CreateCData("x]]>y")
	checkBytes(t, doc)
}

func FuzzBytesEqualEtree(f *testing.F) {
	f.Add("p", "v", "text")
	f.Add("", "a\"b\tc\nd\re&f<g>h'", "a\"b\tc\nd\re&f<g>h'")
	f.Add("x", "\xff\x00", "\xed\xa0\x80\uFFFE")
	f.Fuzz(func(t *testing.T, prefix, value, text string) {
		doc := etree.NewDocument()
		root := doc.CreateElement("root")
		el := etree.NewElement("el")
		el.Space = prefix
		root.AddChild(el)
		el.CreateAttr("a", value)
		el.SetText(text)
		root.CreateText(text)
		checkBytes(t, doc)
	})
}

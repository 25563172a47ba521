package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportLoadsTheTaxpayerAndApostilleRegisters(t *testing.T) {
	lines := []string{
		`{"kind":"person","pin":"21505198500123","surname":"Асанов","given_name":"Азамат","birth_date":"1985-05-15","sex":"male","citizenship":"citizen"}`,
		`{"kind":"taxpayer","inn":"21505198500123","type":"individual","name":"Асанов Азамат","tax_office":"003","address":{"region":"bishkek","settlement":"Бишкек шаары"},"registered":"2012-04-16","status":"active"}`,
		`{"kind":"taxpayer","inn":"01205201010017","type":"entity","name":"«Ала-Тоо Софт» ЖЧК","tax_office":"002","address":{"region":"bishkek","settlement":"Бишкек шаары"},"registered":"2010-05-12","status":"active"}`,
		`{"kind":"binding","pin":"21505198500123","entity_inn":"01205201010017","status":"approved","since":"2016-09-01"}`,
		`{"kind":"official","id":"OFF-1","name":"Жумабаева Айнура","post":"судья","body":"Ленин райондук соту","from":"2019-06-01"}`,
		`{"kind":"apostille","number":"2026-000001","date":"2026-10-15","due":"2026-10-19","application":{"application":"AP-1","document":{"title":"Соттун чечими","details":"№ 2-45/26","issued":"2026-10-02","kind":"official","issuer":"court"},"signer":{"name":"Жумабаева Айнура","post":"судья","body":"Ленин райондук соту"},"country":"KZ","submitter":{"name":"Асанов Азамат","id_document":"ID1000123"},"fee":{"receipt":"№ 1","paid":"2026-10-14"},"placed_by":"Сатыбалдиев Эмил"}}`,
	}
	file := filepath.Join(t.TempDir(), "registers.jsonl")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := darbaza(t, "import", "--data", t.TempDir(), file)
	if code != 0 || !strings.Contains(out, "2 taxpayers, 1 bindings to entities, 1 officials authorised to sign, 1 apostille entries") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}

	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	if err := os.WriteFile(bad, []byte(strings.Replace(lines[3], "01205201010017", "09999999999999", 1)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = darbaza(t, "import", "--data", t.TempDir(), bad)
	if code != 1 || !strings.Contains(errOut, ":1: ") || !strings.Contains(errOut, "taxpayer not in the batch or the store") {
		t.Errorf("a binding to an unknown entity: exit %d\n%s", code, errOut)
	}
}

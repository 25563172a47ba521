package certificate_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/darbaza/darbaza/adapter/certificate"
	"github.com/darbaza/darbaza/internal/testenv"
	"github.com/darbaza/darbaza/internal/testkeys"
	"github.com/darbaza/darbaza/registry"
	"github.com/darbaza/darbaza/signing"
)

var update = flag.Bool("update", false, "rewrite testdata/address-certificate.xml")

// issued is the clock of the golden certificate: 22 Nov 2026, 15:00 GMT+6.
var issued = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// sample is the golden certificate's content: a residence and a stay.
func sample() certificate.Certificate {
	return certificate.FromFacts(registry.AddressFacts{
		Number: "24299971206", Issued: issued, Expires: issued.Add(registry.DocumentValidity),
		Person: registry.Person{PIN: "21505198500123", Surname: "Асанов", GivenName: "Азамат", Patronymic: "Бакытович"},
		Residence: registry.RegistrationEntry{
			Registration: registry.Registration{ID: "RG-1", Type: registry.Residence, Since: registry.NewDate(2015, 3, 10)},
			Address:      registry.Address{Region: registry.RegionTalas, Settlement: "Талас шаары", Street: "Ленин көчөсү", House: "1"},
		},
		Stay: &registry.RegistrationEntry{
			Registration: registry.Registration{ID: "RG-2", Type: registry.Stay, Since: registry.NewDate(2026, 9, 1), Until: registry.NewDate(2027, 6, 30)},
			Address:      registry.Address{Region: registry.RegionBishkek, Settlement: "Бишкек шаары", Street: "Чүй проспекти", House: "100", Apartment: "5"},
		},
	}, certificate.Issuer{
		NameKy: "Калкты каттоо реестри", NameRu: "Реестр регистрации населения",
		Member: "central-server/GOV/70000001/population-registry", VerifyURL: "https://population.tunduk.kg/verify",
	})
}

// goldenSigner is the committed throwaway RSA key of testdata: RSA
// PKCS#1 v1.5 signatures are deterministic, so the golden XML is stable.
func goldenSigner(t *testing.T) certificate.Signer {
	t.Helper()
	key, cert, err := signing.LoadKeyPair("testdata/signer.key", "testdata/signer.crt")
	if err != nil {
		t.Fatal(err)
	}
	return certificate.Signer{Key: key, Certificate: cert, Now: func() time.Time { return issued }}
}

func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	testenv.Require(t, name+" (apt-get install "+pkg+")", err)
	return path
}

func TestTheGoldenCertificate(t *testing.T) {
	forms, err := goldenSigner(t).Make(sample())
	if err != nil {
		t.Fatal(err)
	}
	golden := "testdata/address-certificate.xml"
	if *update {
		if err := os.WriteFile(golden, forms.XML, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(forms.XML, want) {
		t.Errorf("certificate differs from %s (go test ./certificate -update):\n%s", golden, forms.XML)
	}
}

// changed returns raw with one byte of the content changed: the last
// digit of the PIN in the Person element.
func changed(t *testing.T, raw []byte) []byte {
	t.Helper()
	i := bytes.Index(raw, []byte("21505198500123</Pin>"))
	if i < 0 {
		t.Fatal("no PIN in the certificate")
	}
	out := bytes.Clone(raw)
	out[i+13] = '4'
	return out
}

func TestXmlsec1AcceptsTheCertificateAndRejectsAChangedByte(t *testing.T) {
	xmlsec1 := tool(t, "xmlsec1", "xmlsec1")
	dir := t.TempDir()
	raw, err := os.ReadFile("testdata/address-certificate.xml")
	if err != nil {
		t.Fatal(err)
	}
	run := func(doc []byte) (string, error) {
		path := filepath.Join(dir, "certificate.xml")
		if err := os.WriteFile(path, doc, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(xmlsec1, "--verify", "--trusted-pem", "testdata/signer.crt", path).CombinedOutput()
		return string(out), err
	}
	if out, err := run(raw); err != nil {
		t.Fatalf("xmlsec1 --verify refuses the certificate: %v\n%s", err, out)
	}
	if out, err := run(changed(t, raw)); err == nil {
		t.Errorf("xmlsec1 --verify accepts a changed PIN:\n%s", out)
	}
}

func TestVerifyReadsExactlyTheSignedContent(t *testing.T) {
	s := goldenSigner(t)
	raw, err := os.ReadFile("testdata/address-certificate.xml")
	if err != nil {
		t.Fatal(err)
	}
	v, err := certificate.Verify(raw, s.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	want := sample()
	if v.FullName() != "Асанов Азамат Бакытович" || v.Number != want.Number || !v.Issued.Equal(want.Issued) ||
		!v.Expires.Equal(want.Expires) || v.Residence != want.Residence || v.Stay == nil || *v.Stay != *want.Stay ||
		v.Issuer != want.Issuer || v.VerifyLink() != "https://population.tunduk.kg/verify?number=24299971206" {
		t.Errorf("Verify read %+v, want %+v", v.Certificate, want)
	}
	if _, err := certificate.Verify(changed(t, raw), s.Certificate); !errors.Is(err, certificate.ErrBadSignature) {
		t.Errorf("a changed PIN: %v, want ErrBadSignature", err)
	}
	other := testkeys.EC(t, "someone else")
	if _, err := certificate.Verify(raw, other.Cert); !errors.Is(err, certificate.ErrWrongSigner) {
		t.Errorf("another trusted certificate: %v, want ErrWrongSigner", err)
	}
	unsigned := bytes.Replace(raw, []byte("<ds:Signature"), []byte("<ds:Signatur"), 1)
	unsigned = bytes.Replace(unsigned, []byte("</ds:Signature>"), []byte("</ds:Signatur>"), 1)
	if _, err := certificate.Verify(unsigned, nil); !errors.Is(err, certificate.ErrUnsigned) {
		t.Errorf("no signature: %v, want ErrUnsigned", err)
	}
	sha1 := bytes.Replace(raw, []byte("xmlenc#sha256"), []byte("xmldsig#sha1"), 1)
	if _, err := certificate.Verify(sha1, nil); !errors.Is(err, certificate.ErrAlgorithm) {
		t.Errorf("a SHA-1 digest: %v, want ErrAlgorithm", err)
	}
}

func TestAnECDSASignedCertificateVerifiesWithXmlsec1(t *testing.T) {
	kp := testkeys.EC(t, "document signer")
	forms, err := certificate.Signer{Key: kp.Key, Certificate: kp.Cert}.Make(sample())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := certificate.Verify(forms.XML, kp.Cert); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	xmlsec1 := tool(t, "xmlsec1", "xmlsec1")
	dir := t.TempDir()
	_, certPath := kp.WritePEM(t, dir, "signer")
	path := filepath.Join(dir, "certificate.xml")
	if err := os.WriteFile(path, forms.XML, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(xmlsec1, "--verify", "--trusted-pem", certPath, path).CombinedOutput(); err != nil {
		t.Errorf("xmlsec1 refuses an ECDSA-signed certificate: %v\n%s", err, out)
	}
}

// TestThePDFShowsTheCertificateAndItsSignatureIsValid renders the golden
// certificate and checks it with poppler and zbar: pdfsig says the
// signature is valid, pdftotext finds the Kyrgyz letters and the number,
// and the QR code, decoded from the page rendered as an image and from
// the PNG, holds the verification link.
func TestThePDFShowsTheCertificateAndItsSignatureIsValid(t *testing.T) {
	pdfsig := tool(t, "pdfsig", "poppler-utils")
	pdftotext := tool(t, "pdftotext", "poppler-utils")
	pdftoppm := tool(t, "pdftoppm", "poppler-utils")
	zbarimg := tool(t, "zbarimg", "zbar-tools")
	c := sample()
	forms, err := goldenSigner(t).Make(c)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pdf := filepath.Join(dir, "certificate.pdf")
	png := filepath.Join(dir, "qr.png")
	for path, b := range map[string][]byte{pdf: forms.PDF, png: forms.QR} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(pdfsig, pdf).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Signature Validation: Signature is Valid.") {
		t.Errorf("pdfsig: %v\n%s", err, out)
	}

	text, err := exec.Command(pdftotext, "-enc", "UTF-8", pdf, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ң", "ө", "ү", "Ө", "Ү", "24299971206", "Асанов Азамат Бакытович", "Адрес регистрации по месту жительства",
		"22-11-2026-жылы, 15:00:00 (GMT+6)", "Талас облусу, Талас шаары, Ленин көчөсү, үй 1", "сканерлеңиз"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("pdftotext does not show %q:\n%s", want, text)
		}
	}

	if err := exec.Command(pdftoppm, "-r", "150", "-png", "-singlefile", pdf, filepath.Join(dir, "page")).Run(); err != nil {
		t.Fatal(err)
	}
	for _, img := range []string{filepath.Join(dir, "page.png"), png} {
		got, err := exec.Command(zbarimg, "--quiet", "--raw", img).Output()
		if err != nil {
			t.Errorf("zbarimg %s: %v", filepath.Base(img), err)
			continue
		}
		if s := strings.TrimSpace(string(got)); s != c.VerifyLink() {
			t.Errorf("QR code of %s holds %q, want %q", filepath.Base(img), s, c.VerifyLink())
		}
	}

	// A changed byte in the signed range breaks the PDF signature.
	broken := bytes.Clone(forms.PDF)
	i := bytes.Index(broken, []byte("/Creator"))
	if i < 0 {
		t.Fatal("no /Creator in the PDF")
	}
	broken[i+1] = 'c'
	if err := os.WriteFile(pdf, broken, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, _ := exec.Command(pdfsig, pdf).CombinedOutput(); strings.Contains(string(out), "Signature is Valid.") {
		t.Errorf("pdfsig accepts a changed PDF:\n%s", out)
	}
}

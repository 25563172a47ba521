package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/darbaza/darbaza/internal/testenv"
)

// TestCertificateIssueVerifyAndRender drives the certificate verbs
// against a demo server: the portal issues a certificate, a verifier
// checks the XML offline with darbaza and xmlsec1, a changed copy fails,
// and the operator renders the PDF again (server stopped) from the store.
func TestCertificateIssueVerifyAndRender(t *testing.T) {
	s := startServer(t)
	out := t.TempDir()
	key, cert := s.member("portal")
	code, stdout, stderr := darbaza(t, "certificate", "issue", "--url", s.URL, "--key", key, "--cert", cert,
		"--server-cert", s.adapterCert(), "--out", out, "../../testdata/requests/issueAddressCertificate-found.xml")
	if code != 0 {
		t.Fatalf("certificate issue: exit %d\n%s%s", code, stdout, stderr)
	}
	xmls, _ := filepath.Glob(filepath.Join(out, "*.xml"))
	if len(xmls) != 1 {
		t.Fatalf("issue wrote %v\n%s", xmls, stdout)
	}
	xml := xmls[0]
	number := strings.TrimSuffix(filepath.Base(xml), ".xml")
	for _, f := range []string{number + ".pdf", number + "-qr.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}

	code, stdout, stderr = darbaza(t, "certificate", "verify", "--cert", s.adapterCert(), xml)
	if code != 0 || !strings.Contains(stdout, "Асанов Азамат Бакытович") || !strings.Contains(stdout, "signature:     valid") {
		t.Errorf("certificate verify: exit %d\n%s%s", code, stdout, stderr)
	}
	raw, err := os.ReadFile(xml)
	if err != nil {
		t.Fatal(err)
	}
	forged := filepath.Join(out, "forged.xml")
	if err := os.WriteFile(forged, bytes.Replace(raw, []byte("Асанов"), []byte("Асанова"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, stdout, _ := darbaza(t, "certificate", "verify", "--cert", s.adapterCert(), forged); code != 1 {
		t.Errorf("a changed certificate verifies: exit %d\n%s", code, stdout)
	}
	xmlsec1, err := exec.LookPath("xmlsec1")
	testenv.Require(t, "xmlsec1 (apt-get install xmlsec1)", err)
	if err == nil {
		if out, err := exec.Command(xmlsec1, "--verify", "--trusted-pem", s.adapterCert(), xml).CombinedOutput(); err != nil {
			t.Errorf("xmlsec1 refuses the issued certificate: %v\n%s", err, out)
		}
	}

	s.stop(t)
	rendered := t.TempDir()
	code, stdout, stderr = darbaza(t, "certificate", "render", "--config", filepath.Join(s.Dir, "darbaza.yaml"), "--out", rendered, number)
	if code != 0 {
		t.Fatalf("certificate render: exit %d\n%s%s", code, stdout, stderr)
	}
	pdf, err := os.ReadFile(filepath.Join(rendered, number+".pdf"))
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("rendered PDF: %v", err)
	}

	code, stdout, stderr = darbaza(t, "certificate", "revoke", "--config", filepath.Join(s.Dir, "darbaza.yaml"), number)
	if code != 0 || !strings.Contains(stdout, "revoked") {
		t.Errorf("certificate revoke: exit %d\n%s%s", code, stdout, stderr)
	}
	// The revocation is in the access log, as the operator's, and the log
	// still verifies.
	code, stdout, stderr = darbaza(t, "audit", "list", "--config", filepath.Join(s.Dir, "darbaza.yaml"), "--service", "certificate.revoke")
	if lines := strings.Split(strings.TrimSpace(stdout), "\n"); code != 0 || len(lines) != 1 ||
		!strings.Contains(lines[0], "\tclient="+operatorClientPrefix+operatorName()+"\t") || !strings.Contains(lines[0], "\tOK\t") {
		t.Errorf("audit list --service certificate.revoke: exit %d, want one OK record of the operator\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr := darbaza(t, "audit", "verify", "--config", filepath.Join(s.Dir, "darbaza.yaml")); code != 0 {
		t.Errorf("audit verify after the revocation: exit %d\n%s%s", code, stdout, stderr)
	}
	s2 := startServerAt(t, s.Dir)
	if code, stdout, _ := darbaza(t, "send", "--url", s2.URL, "--key", key, "--cert", cert, "--server-cert", s2.adapterCert(),
		writeRequest(t, number)); code != 0 || !strings.Contains(stdout, "<code>DocumentRevoked</code>") {
		t.Errorf("verifyDocument of a revoked certificate: exit %d\n%s", code, stdout)
	}
}

// writeRequest writes a verifyDocument request for number.
func writeRequest(t *testing.T, number string) string {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/requests/verifyDocument-found.xml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "verify.xml")
	raw = bytes.Replace(raw, []byte("16958753735"), []byte(number), 1)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCertificateHelpNamesTheFlagsOfTheVerbAsked: 'certificate -h' ends
// pointing at the verbs' help, not at an empty "Flags:" list, and a verb's
// -h says whose flags follow and lists them.
func TestCertificateHelpNamesTheFlagsOfTheVerbAsked(t *testing.T) {
	code, _, errOut := darbaza(t, "certificate", "-h")
	if code != 0 || strings.HasSuffix(strings.TrimSpace(errOut), "Flags:") || !strings.Contains(errOut, "darbaza certificate <verb> -h") {
		t.Errorf("certificate -h: exit %d\n%s", code, errOut)
	}
	for verb, flag := range map[string]string{"issue": "-server-cert", "verify": "-cert", "render": "-out", "revoke": "-config"} {
		code, _, errOut := darbaza(t, "certificate", verb, "-h")
		if code != 0 || !strings.Contains(errOut, "Flags of 'darbaza certificate "+verb+"':") || !strings.Contains(errOut, flag) {
			t.Errorf("certificate %s -h: exit %d\n%s", verb, code, errOut)
		}
	}
}

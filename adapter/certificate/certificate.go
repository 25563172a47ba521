// Package certificate makes and checks Darbaza's result documents: the
// address certificate (seed 003, annex 5, the Kazakh model; the elements
// of the sample result document of seed 002; see docs/documents.md).
//
// One certificate has three forms, made together at issue:
//
//   - the XML certificate, self-standing: its content and an enveloped
//     XML-DSig signature (W3C XML-DSig 1.1; Reference URI "" with the
//     enveloped-signature transform and Exclusive C14N 1.0, SHA-256,
//     rsa-sha256 or ecdsa-sha256) by the document-signing key, with that
//     key's certificate in KeyInfo. `xmlsec1 --verify` accepts it as it is;
//     [Verify] checks it against a certificate the verifier trusts. This is
//     the form the register keeps (registry.Document.Content) and whose
//     SHA-256 is the document's digest;
//   - the PDF: the same content in Kyrgyz and Russian, in DejaVu Sans
//     embedded in the file (and shipped in the binary), with the QR code,
//     signed in the PDF itself (PAdES: ISO 32000 signature dictionary,
//     adbe.pkcs7.detached / ETSI.CAdES.detached, as poppler's pdfsig checks);
//   - the QR code as a PNG: the verification URL with the number.
//
// Rendering needs no network and no file: the font comes from the module
// github.com/go-fonts/dejavu (DejaVu fonts licence: free to embed and
// redistribute, see README.md "Address certificates").
package certificate

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/darbaza/darbaza/registry"
)

// Namespace is the XML namespace of the certificate, version 1. Its
// elements are a wire contract: verifiers read them.
const Namespace = "http://population.tunduk.kg/documents/v1"

// Bishkek is GMT+6, the official time of the Kyrgyz Republic (no daylight
// saving since 2005), in which a certificate shows its times.
var Bishkek = time.FixedZone("GMT+6", 6*60*60)

// Issuer names the body that issues certificates: its name in the two
// languages, and its X-Road member identifier.
type Issuer struct {
	NameKy, NameRu string
	Member         string // INSTANCE/CLASS/CODE[/SUBSYSTEM]
	// VerifyURL is where a verifier checks a certificate online; the QR
	// code holds it with "?number=" and the number appended.
	VerifyURL string
}

// Place is one registration a certificate shows.
type Place struct {
	Since   registry.Date
	Until   registry.Date // a stay's last day; zero for a residence
	Address string        // the address in one line, as [AddressLine] writes it
}

// Certificate is the content of an address certificate.
type Certificate struct {
	Number          string
	Issued, Expires time.Time
	PIN             string
	Surname         string
	GivenName       string
	Patronymic      string // may be empty
	Residence       Place
	Stay            *Place // nil when the person has no current stay
	Issuer          Issuer
}

// FullName is the person's name as the certificate shows it.
func (c Certificate) FullName() string {
	return strings.Join(strings.Fields(c.Surname+" "+c.GivenName+" "+c.Patronymic), " ")
}

// VerifyLink is the QR code's payload: the verification URL with the
// document's number.
func (c Certificate) VerifyLink() string {
	return VerifyLink(c.Issuer.VerifyURL, c.Number)
}

// VerifyLink returns base with the query parameter number appended.
func VerifyLink(base, number string) string {
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "number=" + url.QueryEscape(number)
}

// FromFacts makes the certificate of what the registry read for it.
func FromFacts(f registry.AddressFacts, iss Issuer) Certificate {
	c := Certificate{
		Number: f.Number, Issued: f.Issued, Expires: f.Expires,
		PIN: f.Person.PIN, Surname: f.Person.Surname, GivenName: f.Person.GivenName, Patronymic: f.Person.Patronymic,
		Residence: Place{Since: f.Residence.Since, Address: AddressLine(f.Residence.Address)},
		Issuer:    iss,
	}
	if f.Stay != nil {
		c.Stay = &Place{Since: f.Stay.Since, Until: f.Stay.Until, Address: AddressLine(f.Stay.Address)}
	}
	return c
}

// AddressLine writes a in one line, from the region down, in Kyrgyz.
func AddressLine(a registry.Address) string {
	parts := []string{a.Region.NameKy(), a.District, a.Settlement, a.Street}
	if a.House != "" {
		parts = append(parts, "үй "+a.House)
	}
	if a.Apartment != "" {
		parts = append(parts, "батир "+a.Apartment)
	}
	var out []string
	for _, p := range parts {
		// A city of republican significance is its own region (Бишкек
		// шаары): it is named once.
		if p = strings.TrimSpace(p); p != "" && (len(out) == 0 || out[len(out)-1] != p) {
			out = append(out, p)
		}
	}
	return strings.Join(out, ", ")
}

// ShowTime writes t as the sample result document of seed 002 does:
// DD-MM-YYYY-жылы, HH:MM:SS (GMT+6).
func ShowTime(t time.Time) string {
	return t.In(Bishkek).Format("02-01-2006-жылы, 15:04:05") + " (GMT+6)"
}

// The fixed texts of a certificate, each in Kyrgyz and Russian (the state
// and the official language, seed 001 §7). The notes restate those of the
// sample result document of seed 002.
var (
	stateName = pair{"Кыргыз Республикасы", "Кыргызская Республика"}
	title     = pair{"Жашаган жери боюнча каттоо жөнүндө дарек маалымкаты", "Адресная справка о регистрации по месту жительства"}
	notes     = []pair{
		{"Кызмат көрсөтүүнүн жыйынтыгы мамлекеттик органдардын маалыматтарынын негизинде «Түндүк» электрондук өз ара аракеттенүү системасы аркылуу түзүлдү.",
			"Результат услуги сформирован на основе данных государственных органов через систему межведомственного электронного взаимодействия «Түндүк»."},
		{"Кыргыз Республикасынын Өкмөтүнүн 2019-жылдын 7-октябрындагы №525 токтомуна ылайык, документ юридикалык күчкө ээ жана колу коюлган кагаз документке барабар.",
			"В соответствии с постановлением Правительства Кыргызской Республики от 7 октября 2019 года №525 документ имеет юридическую силу, равную подписанному бумажному документу."},
		{"Документтеги маалымат суроо-талап берилген күнгө карата актуалдуу жана түзүлгөн күндөн тартып 30 күн ичинде текшерүүгө жеткиликтүү.",
			"Сведения в документе актуальны на дату запроса; документ доступен для проверки в течение 30 дней со дня создания."},
		{"Суроолор пайда болсо же маалыматтар дал келбесе, кызмат көрсөткөн органга кайрылыңыз.",
			"При возникновении вопросов или несоответствии данных обратитесь в орган, оказавший услугу."},
	}
)

type pair struct{ ky, ru string }

// ErrMalformed means an XML certificate does not have the shape of
// version 1 of [Namespace].
var ErrMalformed = errors.New("certificate: malformed certificate")

// build writes c as the unsigned XML document: the root
// AddressCertificate in [Namespace] and its content, indented.
func build(c Certificate) *etree.Document {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	root := doc.CreateElement("AddressCertificate")
	root.CreateAttr("xmlns", Namespace)
	root.CreateAttr("version", "1")
	texts := func(parent *etree.Element, name string, p pair) {
		el := parent.CreateElement(name)
		el.CreateElement("Ky").SetText(p.ky)
		el.CreateElement("Ru").SetText(p.ru)
	}
	texts(root, "State", stateName)
	texts(root, "Title", title)
	root.CreateElement("Number").SetText(c.Number)
	root.CreateElement("Issued").SetText(c.Issued.In(Bishkek).Format(time.RFC3339))
	root.CreateElement("IssuedShown").SetText(ShowTime(c.Issued))
	root.CreateElement("ValidUntil").SetText(c.Expires.In(Bishkek).Format(time.RFC3339))
	p := root.CreateElement("Person")
	p.CreateElement("Pin").SetText(c.PIN)
	p.CreateElement("Surname").SetText(c.Surname)
	p.CreateElement("GivenName").SetText(c.GivenName)
	if c.Patronymic != "" {
		p.CreateElement("Patronymic").SetText(c.Patronymic)
	}
	place := func(name string, pl Place) {
		el := root.CreateElement(name)
		el.CreateElement("Since").SetText(pl.Since.String())
		if !pl.Until.IsZero() {
			el.CreateElement("Until").SetText(pl.Until.String())
		}
		el.CreateElement("Address").SetText(pl.Address)
	}
	place("Residence", c.Residence)
	if c.Stay != nil {
		place("Stay", *c.Stay)
	}
	body := root.CreateElement("IssuingBody")
	texts(body, "Name", pair{c.Issuer.NameKy, c.Issuer.NameRu})
	body.CreateElement("Member").SetText(c.Issuer.Member)
	ns := root.CreateElement("Notes")
	for _, n := range notes {
		texts(ns, "Note", n)
	}
	root.CreateElement("Verification").CreateElement("Url").SetText(c.VerifyLink())
	doc.Indent(2)
	return doc
}

// parse reads the content of a certificate's root element (whose
// signature the caller verified).
func parse(root *etree.Element) (Certificate, error) {
	if root.Tag != "AddressCertificate" || root.NamespaceURI() != Namespace || root.SelectAttrValue("version", "") != "1" {
		return Certificate{}, fmt.Errorf("%w: root is {%s}%s, want {%s}AddressCertificate version 1", ErrMalformed, root.NamespaceURI(), root.Tag, Namespace)
	}
	var firstErr error
	get := func(path string, required bool) string {
		el := root.FindElement(path)
		if el == nil {
			if required && firstErr == nil {
				firstErr = fmt.Errorf("%w: no %s", ErrMalformed, path)
			}
			return ""
		}
		return strings.TrimSpace(el.Text())
	}
	date := func(path string, required bool) registry.Date {
		s := get(path, required)
		if s == "" {
			return registry.Date{}
		}
		d, err := registry.ParseDate(s)
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("%w: %s: %w", ErrMalformed, path, err)
		}
		return d
	}
	stamp := func(path string) time.Time {
		t, err := time.Parse(time.RFC3339, get(path, true))
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("%w: %s: %w", ErrMalformed, path, err)
		}
		return t
	}
	c := Certificate{
		Number: get("Number", true), Issued: stamp("Issued"), Expires: stamp("ValidUntil"),
		PIN: get("Person/Pin", true), Surname: get("Person/Surname", true), GivenName: get("Person/GivenName", true),
		Patronymic: get("Person/Patronymic", false),
		Residence:  Place{Since: date("Residence/Since", true), Address: get("Residence/Address", true)},
		Issuer: Issuer{NameKy: get("IssuingBody/Name/Ky", true), NameRu: get("IssuingBody/Name/Ru", true),
			Member: get("IssuingBody/Member", true)},
	}
	link := get("Verification/Url", true)
	if root.FindElement("Stay") != nil {
		c.Stay = &Place{Since: date("Stay/Since", true), Until: date("Stay/Until", false), Address: get("Stay/Address", true)}
	}
	if firstErr != nil {
		return Certificate{}, firstErr
	}
	base, ok := strings.CutSuffix(link, "number="+c.Number)
	if !ok || (!strings.HasSuffix(base, "?") && !strings.HasSuffix(base, "&")) {
		return Certificate{}, fmt.Errorf("%w: verification URL %q does not end with number=%s", ErrMalformed, link, c.Number)
	}
	c.Issuer.VerifyURL = base[:len(base)-1]
	return c, nil
}

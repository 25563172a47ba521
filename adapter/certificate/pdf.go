package certificate

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/digitorus/pdf"
	pdfsign "github.com/digitorus/pdfsign/sign"
	"github.com/go-fonts/dejavu/dejavusans"
	"github.com/go-fonts/dejavu/dejavusansbold"
	"github.com/go-pdf/fpdf"
	qrcode "github.com/skip2/go-qrcode"
)

// QRSize is the side of the QR code's PNG in pixels.
const QRSize = 512

// QR returns the PNG of the QR code holding payload, with error correction
// level M (15% of the code may be damaged) and the standard quiet zone.
func QR(payload string) ([]byte, error) {
	png, err := qrcode.Encode(payload, qrcode.Medium, QRSize)
	if err != nil {
		return nil, fmt.Errorf("certificate: QR code: %w", err)
	}
	return png, nil
}

// The labels of the PDF, in Kyrgyz and Russian.
var (
	labelApplicant = pair{"Өтүнмө берүүчүнүн аты-жөнү", "ФИО заявителя"}
	labelPIN       = pair{"Жеке идентификациялык номери (ЖИН)", "Персональный идентификационный номер (ПИН)"}
	labelResult    = pair{"КЫЗМАТ КӨРСӨТҮҮНҮН ЖЫЙЫНТЫГЫ", "РЕЗУЛЬТАТ ОКАЗАНИЯ УСЛУГИ"}
	labelResidence = pair{"Жашаган жери боюнча катталган дареги", "Адрес регистрации по месту жительства"}
	labelStay      = pair{"Убактылуу барган жери боюнча катталган дареги", "Адрес регистрации по месту пребывания"}
	labelSince     = pair{"катталган күнү", "дата регистрации"}
	labelUntil     = pair{"мөөнөтү", "по"}
	labelBody      = pair{"Кызмат көрсөтүүчү органдын аты", "Наименование органа, оказавшего услугу"}
	labelNumber    = pair{"Документтин уникалдуу номери", "Уникальный номер документа"}
	labelCreated   = pair{"Документтин түзүлгөн күнү жана убактысы", "Дата и время создания документа"}
	labelValid     = pair{"Текшерүүгө жеткиликтүү мөөнөтү", "Доступен для проверки до"}
	labelScan      = pair{"Маалыматтарды текшерүү үчүн төмөнкү QR-кодду сканерлеңиз", "Для проверки данных отсканируйте QR-код ниже"}
	labelFooter    = pair{"Документ «Darbaza» калкты каттоо реестринин шлюзу аркылуу түзүлдү", "Документ сформирован шлюзом реестра населения «Darbaza»"}
)

// renderPDF lays c out on one A4 page with the QR code qr (a PNG), in
// DejaVu Sans embedded in the file (subset to the letters used). The
// file's dates are c.Issued, so the same certificate renders to the same
// bytes.
func renderPDF(c Certificate, qr []byte) ([]byte, error) {
	p := fpdf.New("P", "mm", "A4", "")
	p.SetCreationDate(c.Issued)
	p.SetModificationDate(c.Issued)
	p.SetCatalogSort(true)
	p.SetTitle(title.ru+" №"+c.Number, true)
	p.SetAuthor(c.Issuer.NameRu, true)
	p.SetCreator("Darbaza", true)
	p.SetMargins(20, 15, 20)
	p.SetAutoPageBreak(true, 10)
	p.AddUTF8FontFromBytes("DejaVu", "", dejavusans.TTF)
	p.AddUTF8FontFromBytes("DejaVu", "B", dejavusansbold.TTF)
	p.AddPage()
	width, _ := p.GetPageSize()
	left, _, right, _ := p.GetMargins()
	w := width - left - right

	line := func(style string, size float64, align, s string) {
		p.SetFont("DejaVu", style, size)
		p.MultiCell(w, size*0.43, s, "", align, false)
	}
	gap := func(mm float64) { p.Ln(mm) }
	field := func(label pair, value string) {
		line("", 7.5, "L", label.ky+" / "+label.ru+":")
		line("B", 10, "L", value)
		gap(1)
	}

	line("B", 11, "C", stateName.ky+"     "+stateName.ru)
	gap(3)
	line("B", 12, "C", strings.ToUpper(title.ky))
	line("B", 11, "C", strings.ToUpper(title.ru))
	gap(4)
	field(labelApplicant, c.FullName())
	field(labelPIN, c.PIN)
	gap(1)
	line("B", 11, "L", labelResult.ky+" / "+labelResult.ru)
	gap(1.5)
	field(labelResidence, c.Residence.Address)
	field(labelSince, c.Residence.Since.String())
	if c.Stay != nil {
		field(labelStay, c.Stay.Address)
		field(pair{labelSince.ky + ", " + labelUntil.ky, labelSince.ru + ", " + labelUntil.ru}, c.Stay.Since.String()+" — "+c.Stay.Until.String())
	}
	field(labelBody, c.Issuer.NameKy+" / "+c.Issuer.NameRu)
	field(labelNumber, c.Number)
	field(labelCreated, ShowTime(c.Issued))
	field(labelValid, ShowTime(c.Expires))
	gap(1)
	for _, n := range notes {
		line("", 7.5, "L", n.ky)
		line("", 7.5, "L", n.ru)
		gap(1)
	}
	gap(1)
	line("", 9, "C", labelScan.ky)
	line("", 9, "C", labelScan.ru)
	p.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(qr))
	const side = 40.0
	p.ImageOptions("qr", (width-side)/2, p.GetY()+1, side, side, true, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	line("", 7.5, "C", c.VerifyLink())
	gap(3)
	line("", 7.5, "C", labelFooter.ky)
	line("", 7.5, "C", labelFooter.ru)
	var out bytes.Buffer
	if err := p.Output(&out); err != nil {
		return nil, fmt.Errorf("certificate: PDF: %w", err)
	}
	return out.Bytes(), nil
}

// signPDF signs doc in the PDF itself (an approval signature in an
// incremental update: ISO 32000-1 §12.8, CMS detached, SHA-256) with key
// and cert, at signing time at, naming the issuing body and the number.
func signPDF(doc []byte, c Certificate, key crypto.Signer, cert *x509.Certificate, at time.Time) ([]byte, error) {
	rdr, err := pdf.NewReader(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		return nil, fmt.Errorf("certificate: PDF to sign: %w", err)
	}
	var out bytes.Buffer
	err = pdfsign.Sign(bytes.NewReader(doc), &out, rdr, int64(len(doc)), pdfsign.SignData{
		Signature: pdfsign.SignDataSignature{
			Info: pdfsign.SignDataSignatureInfo{
				Name:     c.Issuer.NameRu,
				Location: "Кыргызская Республика",
				Reason:   "Адресная справка №" + c.Number,
				Date:     at,
			},
			CertType:   pdfsign.ApprovalSignature,
			DocMDPPerm: pdfsign.DoNotAllowAnyChangesPerms,
		},
		Signer:          key,
		DigestAlgorithm: crypto.SHA256,
		Certificate:     cert,
	})
	if err != nil {
		return nil, fmt.Errorf("certificate: signing the PDF: %w", err)
	}
	return out.Bytes(), nil
}

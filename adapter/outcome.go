package adapter

import (
	"fmt"
)

// Business outcome codes: answers, not faults. A refusal is a normal
// response whose result names the code with a message in Kyrgyz and
// Russian; the codes are wire contract, integrators match on them.
const (
	OutcomeOK                = "OK"
	OutcomeInvalidPIN        = "InvalidPin"
	OutcomePersonNotFound    = "PersonNotFound"
	OutcomeInvalidDwellingID = "InvalidDwellingId"
	OutcomeDwellingNotFound  = "DwellingNotFound"
	OutcomeInvalidCursor     = "InvalidCursor"

	// Documents (document.go).
	OutcomeNoResidence           = "NoResidenceRegistration"
	OutcomeInvalidDocumentNumber = "InvalidDocumentNumber"
	OutcomeDocumentNotFound      = "DocumentNotFound"
	OutcomeDocumentExpired       = "DocumentExpired"
	OutcomeDocumentRevoked       = "DocumentRevoked"
)

// outcomeTexts is the one table of business outcomes: every refusal code
// with its message in Kyrgyz and in Russian. OK has none.
var outcomeTexts = map[string]struct{ ky, ru string }{
	OutcomeInvalidPIN: {
		"ПИН туура эмес: 14 сан, 1 же 2 менен башталат, андан кийин туулган күнү КККААЖЖЖЖ",
		"Неверный ПИН: 14 цифр, первая 1 или 2, затем дата рождения ДДММГГГГ"},
	OutcomePersonNotFound: {
		"Бул ПИН менен жеке адам катталган эмес",
		"Лицо с таким ПИН не найдено"},
	OutcomeInvalidDwellingID: {
		"Турак жайдын идентификатору туура эмес",
		"Неверный идентификатор жилища"},
	OutcomeDwellingNotFound: {
		"Мындай турак жай табылган жок",
		"Жилище не найдено"},
	OutcomeInvalidCursor: {
		"Барак белгиси туура эмес",
		"Неверный курсор страницы"},
	OutcomeNoResidence: {
		"Бул адам жашаган жери боюнча катталган эмес: дарек маалымкаты берилбейт",
		"Лицо не зарегистрировано по месту жительства: адресная справка не выдаётся"},
	OutcomeInvalidDocumentNumber: {
		"Документтин номери туура эмес: 11 сан",
		"Неверный номер документа: 11 цифр"},
	OutcomeDocumentNotFound: {
		"Мындай номер (же текшерүү суммасы) менен документ табылган жок",
		"Документ с таким номером (или контрольной суммой) не найден"},
	OutcomeDocumentExpired: {
		"Документ мындан ары текшерүүгө жеткиликтүү эмес: 30 күндүк мөөнөтү өттү",
		"Документ больше не доступен для проверки: истёк 30-дневный срок"},
	OutcomeDocumentRevoked: {
		"Документ жокко чыгарылган",
		"Документ отозван"},
}

// resultNode is the result element every answer begins with, written from
// its outcome code: the code, and for a refusal both messages.
var resultNode = group("result", outcomeOf,
	text("code", func(o outcome) string { return o.code }),
	text("messageKy", func(o outcome) string { return o.ky }).Optional(),
	text("messageRu", func(o outcome) string { return o.ru }).Optional(),
).Doc("Business outcome: code OK, or a refusal code with messages in Kyrgyz and Russian.")

type outcome struct{ code, ky, ru string }

// outcomeOf looks code up in the table; a refusal code without texts is
// absent, which fails the answer rather than send a refusal without words.
func outcomeOf(code string) (outcome, bool) {
	if code == OutcomeOK {
		return outcome{code: code}, true
	}
	t, ok := outcomeTexts[code]
	return outcome{code, t.ky, t.ru}, ok
}

// A refusal is a business answer a service or an argument reader gives
// instead of a value: the service's reply carries only its result. It
// travels as an error so that a service can return it from anywhere, but
// it never becomes a fault: the service's reply turns it into the answer.
type refusal struct{ code string }

func (r *refusal) Error() string { return fmt.Sprintf("refused: %s", r.code) }

// refuse returns the refusal with code, one of the table's.
func refuse(code string) error { return &refusal{code} }

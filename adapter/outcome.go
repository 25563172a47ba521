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

	// The taxpayer register (taxpayer.go).
	OutcomeInvalidINN       = "InvalidInn"
	OutcomeNotTaxpayer      = "NotTaxpayer"
	OutcomeTaxpayerNotFound = "TaxpayerNotFound"

	// The apostille register (apostille.go). A refusal to place an
	// apostille is ApostilleRefused with one ground per reason that
	// applies, each one of the ground codes below.
	OutcomeApostilleRefused          = "ApostilleRefused"
	OutcomeApplicationReused         = "ApostilleApplicationReused"
	OutcomeInvalidApostilleNumber    = "InvalidApostilleNumber"
	OutcomeApostilleNotFound         = "ApostilleNotFound"
	OutcomeGroundEmbassyDocument     = "EmbassyDocument"
	OutcomeGroundCommercialDocument  = "CommercialDocument"
	OutcomeGroundNotForAbroad        = "NotForAbroad"
	OutcomeGroundForeignDocument     = "ForeignDocument"
	OutcomeGroundSovietOriginal      = "SovietOriginal"
	OutcomeGroundNotConventionParty  = "NotConventionParty"
	OutcomeGroundObjectingState      = "ObjectingState"
	OutcomeGroundIllegible           = "Illegible"
	OutcomeGroundPencilOrFax         = "PencilOrFax"
	OutcomeGroundUnofficialAdditions = "UnofficialAdditions"
	OutcomeGroundBreachOfLaw         = "BreachOfLaw"
	OutcomeGroundSpecimenMismatch    = "SpecimenMismatch"
	OutcomeGroundSignerNotAuthorised = "SignerNotAuthorised"
)

// Business outcome codes of the registration applications (application.go,
// docs/domain.md "Registration through the portal"). Each refusal ground
// of an application has its own code; the first six are the blocking
// conditions of seed 000 §5, in its order.
const (
	OutcomeDwellingFull          = "DwellingFull"
	OutcomeSeveralOwners         = "SeveralOwners"
	OutcomeConsularRegister      = "ConsularRegister"
	OutcomeOwnerOnlyUser         = "OwnerOnlyUser"
	OutcomeCitizenshipRenounced  = "CitizenshipRenounced"
	OutcomeFaceIDNotMatched      = "FaceIdNotMatched"
	OutcomeNoEligibleIDCard      = "NoEligibleIdCard"
	OutcomeStayTooLong           = "StayTooLong"
	OutcomeStayPeriodInvalid     = "StayPeriodInvalid"
	OutcomeParentPINsMissing     = "ParentPinsMissing"
	OutcomeParentPINsMismatch    = "ParentPinsMismatch"
	OutcomeNotDwellingOwner      = "NotDwellingOwner"
	OutcomeApplicantRoleMismatch = "ApplicantRoleMismatch"
	OutcomeRegistrationConflict  = "RegistrationConflict"
	OutcomeConsentNotGiven       = "ConsentNotGiven"
	OutcomePurposeMismatch       = "PurposeMismatch"
	OutcomeNotEntitled           = "NotEntitled"
	OutcomeRegistrationEnded     = "RegistrationEnded"
	OutcomeRegistrationNotFound  = "RegistrationNotFound"
	OutcomeInvalidGround         = "InvalidGround"

	// Answers about the request rather than the application's merits:
	// nothing is kept.
	OutcomeApplicationNotFound      = "ApplicationNotFound"
	OutcomeApplicationNumberReused  = "ApplicationNumberReused"
	OutcomeInvalidApplicationNumber = "InvalidApplicationNumber"
	OutcomeInvalidApplication       = "InvalidApplication"
	OutcomeInvalidRegistrationID    = "InvalidRegistrationId"
	OutcomeNotAwaitingConfirmation  = "ApplicationNotAwaitingConfirmation"
	OutcomeApplicationLapsed        = "ApplicationLapsed"
	OutcomeNotTheApplicant          = "NotTheApplicant"
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

	OutcomeDwellingFull: {
		"Турак жайда Кыргыз Республикасынын 10 же андан ашык жараны катталган: арыз берүү мүмкүн эмес",
		"В жилище зарегистрировано 10 и более граждан Кыргызской Республики: заявление не может быть подано"},
	OutcomeSeveralOwners: {
		"Турак жайдын ээси бир нече адам: арыз берүү мүмкүн эмес",
		"У жилища несколько собственников: заявление не может быть подано"},
	OutcomeConsularRegister: {
		"Арыз ээси консулдук эсепте турат",
		"Заявитель состоит на консульском учёте"},
	OutcomeOwnerOnlyUser: {
		"Турак жайдын ээси колдонуучу катарында гана көрсөтүлгөн (мыйзамсыз курулуш)",
		"Владелец жилища указан только как пользователь (незаконное строение)"},
	OutcomeCitizenshipRenounced: {
		"Арыз ээси Кыргыз Республикасынын жарандыгынан чыккан",
		"Заявитель вышел из гражданства Кыргызской Республики"},
	OutcomeFaceIDNotMatched: {
		"Турак жайдын ээсинин же арыз ээсинин Face ID маалыматтары шайкеш келген жок",
		"Face ID владельца жилища или заявителя не совпал с данными реестров"},
	OutcomeNoEligibleIDCard: {
		"2004, 2017 же 2024-жылдардын үлгүсүндөгү жарактуу ID-карта жок",
		"Нет действующей ID-карты образца 2004, 2017 или 2024 года"},
	OutcomeStayTooLong: {
		"Барган жери боюнча каттоо 1 жылдан ашпаган мөөнөткө жүргүзүлөт",
		"Регистрация по месту пребывания производится на срок не более 1 года"},
	OutcomeStayPeriodInvalid: {
		"Мөөнөт туура эмес: барган жери боюнча каттоонун акыркы күнү бүгүндөн мурун болбошу керек, жашаган жери боюнча каттоодо ал көрсөтүлбөйт",
		"Неверный срок: последний день пребывания не может быть раньше сегодняшнего, для места жительства он не указывается"},
	OutcomeParentPINsMissing: {
		"Жашы жете элек жаран үчүн ата-энесинин ИЖНи көрсөтүлгөн жок",
		"Для несовершеннолетнего не указаны ПИН родителей"},
	OutcomeParentPINsMismatch: {
		"Ата-энесинин ИЖНи реестрдеги маалыматтарга дал келбейт",
		"ПИН родителей не совпадают с данными реестра"},
	OutcomeNotDwellingOwner: {
		"Арызды берген адам бул турак жайдын ээси эмес",
		"Подавший заявление не является собственником этого жилища"},
	OutcomeApplicantRoleMismatch: {
		"Арыз кимге берилгени (өзүн, өзүнүн баласын, жашы жеткен же жете элек башка жаранды) арыз ээсине туура келбейт",
		"Выбранная категория (себя, своего ребёнка, другого совершеннолетнего или несовершеннолетнего) не соответствует заявителю"},
	OutcomeRegistrationConflict: {
		"Каттоо учурдагы каттоого карама-каршы келет",
		"Регистрация противоречит действующей регистрации"},
	OutcomeConsentNotGiven: {
		"Жеке маалыматтарды иштетүүгө макулдук берилген жок",
		"Не дано согласие на обработку персональных данных"},
	OutcomePurposeMismatch: {
		"Арыз ээси ырастаган максат турак жайдын ээси көрсөткөн максатка дал келбейт",
		"Цель, подтверждённая заявителем, не совпадает с указанной владельцем жилища"},
	OutcomeNotEntitled: {
		"Каттоодон чыгарууну катталган адам же турак жайдын ээси гана сурай алат",
		"Снятие с учёта может запросить только зарегистрированное лицо или собственник жилища"},
	OutcomeRegistrationEnded: {
		"Бул каттоо мурда эле токтотулган",
		"Эта регистрация уже прекращена"},
	OutcomeRegistrationNotFound: {
		"Мындай каттоо табылган жок",
		"Регистрация не найдена"},
	OutcomeInvalidGround: {
		"Каттоодон чыгаруунун негизи туура эмес",
		"Неверное основание снятия с учёта"},
	OutcomeApplicationNotFound: {
		"Бул номердеги арыз табылган жок",
		"Заявление с таким номером не найдено"},
	OutcomeApplicationNumberReused: {
		"Бул номер башка мазмундагы арызга берилген",
		"Этот номер уже присвоен заявлению с другим содержанием"},
	OutcomeInvalidApplicationNumber: {
		"Арыздын номери туура эмес",
		"Неверный номер заявления"},
	OutcomeInvalidApplication: {
		"Арыздын категориясы, максаты же негизи туура эмес",
		"Неверная категория, цель или основание заявления"},
	OutcomeInvalidRegistrationID: {
		"Каттоонун идентификатору туура эмес",
		"Неверный идентификатор регистрации"},
	OutcomeNotAwaitingConfirmation: {
		"Арыз ырастоону күтпөйт",
		"Заявление не ожидает подтверждения"},
	OutcomeApplicationLapsed: {
		"Арызды ырастоо мөөнөтү өтүп кеткен",
		"Срок подтверждения заявления истёк"},
	OutcomeNotTheApplicant: {
		"Арызды арыз ээси же жашы жете элек жарандын арызда көрсөтүлгөн ата-энесинин бири гана ырастай алат",
		"Подтвердить заявление может только заявитель или один из указанных в нём родителей несовершеннолетнего"},
	OutcomeInvalidINN: {
		"ИНН туура эмес: 14 сан; жеке адамдын ИННи анын ПИНи, юридикалык жактыкы 0 менен башталат",
		"Неверный ИНН: 14 цифр; ИНН физического лица — его ПИН, ИНН юридического лица начинается с 0"},
	OutcomeNotTaxpayer: { // seed 002 §4, 1.1
		"Бул ИНН менен колдонуучу салык төлөөчү эмес",
		"Пользователь с данным ИНН не является налогоплательщиком"},
	OutcomeTaxpayerNotFound: {
		"Бул ИНН менен юридикалык жак салык төлөөчүлөрдүн базасында жок",
		"Юридическое лицо с данным ИНН не найдено в базе налогоплательщиков"},

	OutcomeApostilleRefused: {
		"Апостиль коюудан баш тартылды; негиздери төмөндө көрсөтүлгөн",
		"В проставлении апостиля отказано; основания указаны ниже"},
	OutcomeApplicationReused: {
		"Бул арыздын номери башка мазмундагы арыз үчүн колдонулган",
		"Этот номер заявления уже использован для заявления с другим содержанием"},
	OutcomeInvalidApostilleNumber: {
		"Апостилдин номери туура эмес: ЖЖЖЖ-NNNNNN",
		"Неверный номер апостиля: ГГГГ-NNNNNN"},
	OutcomeApostilleNotFound: {
		"Мындай номер жана дата менен апостиль табылган жок",
		"Апостиль с таким номером и датой не найден"},
	OutcomeGroundEmbassyDocument: { // seed 004 §10 a
		"Кыргыз Республикасынын элчиликтери жана консулдуктары жасаган документтерге апостиль коюлбайт",
		"Апостиль не проставляется на документы, совершённые посольствами и консульствами Кыргызской Республики"},
	OutcomeGroundCommercialDocument: { // §10 b
		"Коммерциялык же бажылык операцияларга түздөн түз тиешеси бар документтерге апостиль коюлбайт (мамлекеттик орган берген уюштуруу жана патенттик документтерден тышкары)",
		"Апостиль не проставляется на документы, имеющие прямое отношение к коммерческим или таможенным операциям (кроме учредительных и патентных документов, выданных государственными органами)"},
	OutcomeGroundNotForAbroad: { // §10 c
		"Чет өлкөгө чыгарууга жатпаган документтерге (аскердик билет, өздүгүн тастыктоочу күбөлүк, паспорт) апостиль коюлбайт",
		"Апостиль не проставляется на документы, не подлежащие вывозу за границу (военный билет, удостоверение личности, паспорт)"},
	OutcomeGroundForeignDocument: { // §11
		"Башка мамлекеттер берген расмий документтерге Кыргыз Республикасында апостиль коюлбайт",
		"На официальные документы, выданные другими государствами, апостиль в Кыргызской Республике не проставляется"},
	OutcomeGroundSovietOriginal: { // §9
		"Кыргыз ССРинин жана СССРдин органдары берген документтердин түп нускаларына апостиль коюлбайт; нотариуста күбөлөндүрүлгөн көчүрмөсүнө коюлушу мүмкүн",
		"На оригиналы документов, выданных органами Киргизской ССР и СССР, апостиль не проставляется; он может быть проставлен на нотариально засвидетельствованную копию"},
	OutcomeGroundNotConventionParty: { // §13 b
		"Документ көрсөтүлө турган мамлекет Гаага конвенциясына катышуучу эмес",
		"Государство, в котором будет представлен документ, не является участником Гаагской конвенции"},
	OutcomeGroundObjectingState: { // §13 b
		"Документ көрсөтүлө турган мамлекет Кыргыз Республикасынын Гаага конвенциясына кошулуусуна каршы пикир билдирген",
		"Государство, в котором будет представлен документ, возразило против присоединения Кыргызской Республики к Гаагской конвенции"},
	OutcomeGroundIllegible: { // §13 c
		"Документтин тексти бузулуп, окууга жараксыз",
		"Текст документа повреждён и не поддаётся прочтению"},
	OutcomeGroundPencilOrFax: { // §13 d
		"Документ карандаш менен толтурулган же кол коюлган, же факсимилдик байланыш аркылуу алынган",
		"Документ заполнен или подписан карандашом либо получен по факсимильной связи"},
	OutcomeGroundUnofficialAdditions: { // §13 e
		"Документте расмий ырасталбаган толуктоолор же оңдоолор бар",
		"Документ содержит официально не заверенные дополнения или исправления"},
	OutcomeGroundBreachOfLaw: { // §13 f
		"Документ мыйзамдын талаптарын сактабастан берилген",
		"Документ выдан с нарушением требований законодательства"},
	OutcomeGroundSpecimenMismatch: { // §13 g
		"Кызмат адамынын колу же мөөрдүн, штамптын изи ыйгарым укуктуу органдагы үлгүлөргө ылайык келбейт",
		"Подпись должностного лица или оттиск печати, штампа не соответствуют образцам, имеющимся в уполномоченном органе"},
	OutcomeGroundSignerNotAuthorised: { // §13 h
		"Расмий документке кол койгон кызмат адамы ага кол коюуга ыйгарым укуктуу эмес",
		"Должностное лицо, подписавшее официальный документ, не уполномочено его подписывать"},
}

// resultNode is the result element every answer begins with, written from
// its verdict: the code, for a refusal both messages, and for a refusal
// on several grounds each ground with its own code and messages.
var resultNode = group("result", outcomeOf,
	text("code", func(o outcome) string { return o.code }),
	text("messageKy", func(o outcome) string { return o.ky }).Optional(),
	text("messageRu", func(o outcome) string { return o.ru }).Optional(),
	list("ground", func(o outcome) []outcome { return o.grounds },
		text("code", func(o outcome) string { return o.code }),
		text("messageKy", func(o outcome) string { return o.ky }),
		text("messageRu", func(o outcome) string { return o.ru }),
	).Optional().Doc("A ground of the refusal, each with its own code: every ground that applies."),
).Doc("Business outcome: code OK, or a refusal code with messages in Kyrgyz and Russian.")

type outcome struct {
	code, ky, ru string
	grounds      []outcome
}

// A verdict is what an answer's result says: its code and, for a refusal
// on several grounds, their codes.
type verdict struct {
	code    string
	grounds []string
}

// outcomeOf looks the verdict's codes up in the table; a refusal code
// without texts is absent, which fails the answer rather than send a
// refusal without words.
func outcomeOf(v verdict) (outcome, bool) {
	if v.code == OutcomeOK {
		return outcome{code: v.code}, len(v.grounds) == 0
	}
	t, ok := outcomeTexts[v.code]
	o := outcome{code: v.code, ky: t.ky, ru: t.ru}
	for _, g := range v.grounds {
		gt, found := outcomeTexts[g]
		ok = ok && found
		o.grounds = append(o.grounds, outcome{code: g, ky: gt.ky, ru: gt.ru})
	}
	return o, ok
}

// A refusal is a business answer a service or an argument reader gives
// instead of a value: the service's reply carries only its result. It
// travels as an error so that a service can return it from anywhere, but
// it never becomes a fault: the service's reply turns it into the answer.
type refusal struct {
	code    string
	grounds []string // the codes of its grounds, when it has several
}

func (r *refusal) Error() string {
	if len(r.grounds) > 0 {
		return fmt.Sprintf("refused: %s %v", r.code, r.grounds)
	}
	return fmt.Sprintf("refused: %s", r.code)
}

// refuse returns the refusal with code, one of the table's.
func refuse(code string) error { return &refusal{code: code} }

// refuseOn returns the refusal with code on every one of grounds, each a
// code of the table.
func refuseOn(code string, grounds ...string) error { return &refusal{code: code, grounds: grounds} }

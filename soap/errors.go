package soap

// Fault codes, in X-Road's style: "Client." when the caller's message is at
// fault, "Server.ServerProxy." when the provider refuses or fails. The
// strings are part of the wire contract: integrators match on them.
const (
	CodeInvalidHTTPMethod      = "Client.InvalidHttpMethod"
	CodeInvalidContentType     = "Client.InvalidContentType"
	CodeInvalidXML             = "Client.InvalidXml"
	CodeDoctype                = "Client.DoctypeNotAllowed"
	CodeMessageTooLarge        = "Client.MessageTooLarge"
	CodeTooDeep                = "Client.XmlTooDeep"
	CodeTooManyElements        = "Client.TooManyElements"
	CodeInvalidSoap            = "Client.InvalidSoap"
	CodeInvalidBody            = "Client.InvalidBody"
	CodeMissingHeaderField     = "Client.MissingHeaderField"
	CodeDuplicateHeaderField   = "Client.DuplicateHeaderField"
	CodeUnknownHeaderField     = "Client.UnknownHeaderField"
	CodeInvalidClientID        = "Client.InvalidClientIdentifier"
	CodeInvalidServiceID       = "Client.InvalidServiceIdentifier"
	CodeInvalidProtocolVersion = "Client.InvalidProtocolVersion"
	CodeInconsistentHeaders    = "Client.InconsistentHeaders"
	CodeMustUnderstand         = "Client.MustUnderstand"
	CodeInvalidRequest         = "Client.InvalidRequest"

	CodeAccessDenied   = "Server.ServerProxy.AccessDenied"
	CodeUnknownService = "Server.ServerProxy.UnknownService"
	CodeInternalError  = "Server.ServerProxy.InternalError"
	CodeLogUnavailable = "Server.ServerProxy.AccessLogUnavailable"
)

// Error is a refusal that becomes a SOAP fault with Code. Err says why in
// words fit for the caller; it wraps a sentinel for errors.Is.
type Error struct {
	Code string
	Err  error
}

func (e *Error) Error() string { return e.Code + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

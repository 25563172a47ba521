package console

import (
	"crypto/tls"
	"crypto/x509"
)

// ServerTLS is the console listener's TLS configuration: the server's own
// certificate, and client certificates asked for but optional (a password
// signs an auditor in too), verified against clientCAs when presented; a
// certificate that does not verify ends the handshake.
func ServerTLS(cert tls.Certificate, clientCAs *x509.CertPool) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    clientCAs,
	}
}

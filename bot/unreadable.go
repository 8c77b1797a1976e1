package bot

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"regexp"
)

// unreadableReason says in the admin's language why a member's URL could
// not be read. Network failures get a sentence of their own: their text
// names the resolver and the addresses dialled ("dial tcp 127.0.0.53:53"),
// the bot host's internals, which are not the admin's to see nor of use to
// them. Anything else (an HTTP status, not a feed) is its own text with any
// IP address left in it masked.
func unreadableReason(err error, l lang) (reason string, clean bool) {
	var (
		dns     *net.DNSError
		op      *net.OpError
		netErr  net.Error
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
		verify  *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &dns) && dns.IsNotFound:
		return l.pick(txtHostNotFound), true
	case errors.As(err, &dns):
		return l.pick(txtHostUnresolved), true
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return l.pick(txtHostTooSlow), true
	case errors.As(err, &unknown), errors.As(err, &host), errors.As(err, &invalid), errors.As(err, &verify):
		return l.pick(txtBadCertificate), true
	case errors.As(err, &op):
		return l.pick(txtHostUnreachable), true
	}
	return scrubAddresses(err.Error()), false
}

// addressPattern matches IPv4 and bracketed IPv6 addresses, with a port.
var addressPattern = regexp.MustCompile(`\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b|\[[0-9A-Fa-f]*:[0-9A-Fa-f:.]*(?:%\w+)?\](?::\d+)?`)

// scrubAddresses masks the IP addresses in an error's text, so that one
// shown to an admin does not tell where the bot's resolver or network sits.
func scrubAddresses(s string) string {
	return addressPattern.ReplaceAllString(s, "…")
}

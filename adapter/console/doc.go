// Package console is the auditors' web console (docs/console.md): a
// read-only view of the access log, served by `darbaza serve` on its own
// HTTPS listener, for the auditors the config names.
//
// What an auditor can do: search the log by time, client, service, outcome
// and person; open a record; see the chain's state; run a full
// verification and watch its progress; download an export of a search
// (JSON Lines or CSV, the formats of docs/access-log.md, which verify on
// their own); and see requests per hour by client and by service and
// faults per hour by code, drawn on the server as SVG. Every page, style
// and script is embedded in the binary: the console loads nothing from
// elsewhere, and its Content-Security-Policy forbids it to.
//
// # Who gets in
//
// Only named auditors, by password (argon2id, HashPassword) or by TLS
// client certificate. A session is a random token in a cookie that is
// Secure, HttpOnly, SameSite=Strict and __Host- prefixed; it ends after
// Options.SessionTTL without use and Options.SessionMax at most. Every
// POST carries the session's CSRF token (sign-in: a double-submit token),
// compared in constant time; one without it is refused with 403.
// Options.MaxFailures wrong passwords in a row lock the account's
// password sign-in for Options.Lockout.
//
// # The admin trail is the access log
//
// Every console action (sign-in, refused or not; search; opening a
// record; export; verification; plots) is appended to the access log
// itself through Log.Append before its result is shown, so `darbaza audit
// verify` covers it and the same chain answers "who looked at whose
// access history": the record's client is "console/NAME", its service
// "console.login", "console.search", "console.view", "console.export",
// "console.verify" or "console.plots", and a search by person lists the
// PIN as the record's subject, stored as the log's keyed pseudonym like
// every other subject. So `darbaza audit list --pin PIN` shows the
// auditors who searched for that person. If the record cannot be made
// durable the action is refused (fail closed), like a SOAP request.
//
// A PIN typed into the console is turned into the pseudonym on the server
// and never stored or logged raw: the form is posted, not put into a URL;
// the session keeps it in memory only, to page through and export the
// search; links name the search by a random id.
//
// # Never in the way of SOAP traffic
//
// Searches walk the log backwards by sequence number (accesslog.Log.Before,
// or the subject index for a person), never by offset, and each page
// reads a bounded number of records, then offers to continue; exports
// stream; verification runs in the background in short read transactions
// and reports its progress. None of them holds a lock that Append waits
// for.
package console

// Package witness makes the access log's checkpoints leave the adapter:
// an outside witness, with its own key and its own state, receives each
// one, checks that it extends the last one it saw, refuses rollbacks and
// forks, and countersigns. An auditor then checks a log against the
// newest countersigned checkpoint (accesslog.VerifyOptions.Witnessed), and
// so finds a tail cut off with its checkpoints, or a history rewritten and
// re-signed by whoever holds the adapter's keys (docs/witness.md).
//
// # Formats
//
// A checkpoint is a signed note (C2SP signed-note, https://c2sp.org/signed-note)
// whose text is a C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint):
//
//	<origin>
//	<size, decimal>
//	<root, base64>
//
// where size is the sequence number of the log's newest record and root
// that record's chain hash (docs/access-log.md, "The chain"). The log
// signs it with its checkpoint key as an ECDSA P-256 / SHA-256 note
// signature (signature type 0x02, the form Sigstore's Rekor uses, verified
// by github.com/transparency-dev/formats/note.NewECDSAVerifier), so the
// key may live in an HSM. A witness countersigns with an Ed25519
// timestamped cosignature (C2SP tlog-cosignature, cosignature/v1).
//
// The access log is a hash chain, not a Merkle tree, so the consistency
// proof between sizes m and n is the body digests of records m+1..n: the
// witness applies the chain step to its own root for m and must arrive at
// the new root (accesslog.Extend). The exchange follows C2SP tlog-witness
// (https://c2sp.org/tlog-witness), whose add-checkpoint request carries
// this proof in place of a Merkle one:
//
//	POST /add-checkpoint
//
//	old <m>
//	<digest of record m+1, base64>
//	...
//	<digest of record n, base64>
//	<empty line>
//	<signed checkpoint note for n>
//
// A witness that knows no checkpoint of the log yet takes the first one
// on trust: "old 0" and no digests, as C2SP tlog-witness does.
//
// Answers: 200 with the cosignature line(s); 409 Conflict with the size
// the witness knows (text/x.tlog.size) when m is not it; 403 for a log it
// does not know or a note whose signature does not verify; 422 when the
// proof does not lead from its root to the new one (a fork) or the new
// size is smaller (a rollback); 400 for anything malformed.
package witness

// Package accesslog is Darbaza's access log: one record for every request,
// answered or refused, made durable before the response leaves, in an
// append-only hash chain that an auditor can verify offline.
//
// # Records and the chain
//
// A Record holds the request's time, record id, X-Road client and
// service, the caller's id, userId and issue, the outcome (a fault or
// business code), the SHA-256 of the request and of the response, the
// signer certificate's fingerprint, the latency and the data subjects it
// touched. Subjects are stored only as HMAC-SHA256 of the PIN under the
// subject key (SubjectID), never as raw PINs.
//
// Each record carries Hash = SHA-256(PrevHash || SHA-256(body)), where
// body is the record's canonical encoding (appendBody) and PrevHash the
// previous record's Hash. At intervals (Options.CheckpointInterval), on
// Checkpoint and at Close the log signs a Checkpoint with the adapter key:
// "the chain had Seq records and its head was Head at Time". Archive moves
// old records to a sealed file; the log then starts from an Anchor, the
// last archived record.
//
// # What verification detects, and what needs a witness
//
// Reader.Verify and Log.Verify (`darbaza audit verify`), and VerifyExport
// for exports and archives, read every record and checkpoint and report
// the first bad item as a *TamperError. They detect a changed field of any
// record, a deleted, inserted, duplicated, reordered or renumbered record,
// records cut from the end while a checkpoint that covers them remains, a
// checkpoint with a forged signature, another key's signature or another
// head, and malformed stored values. Open checks the tail from the newest
// checkpoint and refuses a log whose tail does not verify. Every reader
// (verify, list, export, archive) reaches the newest record and checkpoint
// stored when it began; one that stops short fails, it never reports a
// partial success.
//
// The adapter's own signatures cannot show the loss of records after the
// newest checkpoint (Report.Unsigned) or of a tail cut off together with
// the checkpoints that cover it, nor a history rewritten and signed again
// by whoever holds the checkpoint key. An outside witness closes both
// (package witness, docs/witness.md): Log.Extension gives it the chain's
// consistency proof, and VerifyOptions.Witnessed checks a log or export
// against the newest checkpoint it countersigned.
//
// # Durability: the fsync policy
//
// A record is acknowledged (Append returns it) only after the commit that
// holds it is durable: the backend's Commit returns only once its
// transaction is synced to stable storage (fdatasync for the bbolt file).
// Commits are grouped: one committer goroutine takes every Append waiting
// when it becomes free and commits them in one transaction, one sync; a
// lone Append on an idle log is committed at once, nothing waits for a
// batch to fill. If a commit fails, every Append in it fails with
// ErrUnavailable, and so does every later one until the log is reopened
// (or, with Options.Recover, until the backend answers again, as a
// database server does after a restart): the caller must then refuse the
// request (fail closed), and Healthy reports it for /readyz.
//
// # Storage
//
// The chain, group commit, verification, queries, export and archive do
// not depend on where the log is kept. Storage is a logstore.Backend,
// which keeps the values this package encodes as opaque bytes under their
// sequence numbers; each commit chains onto the head the backend reads
// inside its own write transaction, so a backend shared by several nodes
// still holds one chain. Options.Path opens the embedded default, a bbolt
// file (package boltlog); Options.Backend and NewReader take any other.
// Every backend passes the conformance suite in package logtest.
//
// # The format is frozen
//
// The record body encoding (appendBody), the checkpoint's signed bytes
// (signedBytes), the stored values (encodeStored, encodeCheckpoint, the
// anchor and the format value), the export formats (the JSON Lines field
// names and the CSV columns) and the bbolt file's bucket names and key
// encodings are part of the log format: every stored hash, signature and
// export depends on them byte for byte. They must never change without
// bumping FormatVersion and keeping the old encoding readable for the old
// version. TestRecordHashIsStable, the committed exports in testdata and
// boltlog's first-format log file (written before the backend seam
// existed) pin them; docs/access-log.md describes them for auditors.
package accesslog

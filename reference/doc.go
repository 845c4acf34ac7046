// Package reference is ftpspec's reference FTP server: the server every conformance suite and load
// run is judged against, and one a Go test can start in a line, the way net/http/httptest starts an
// HTTP server:
//
//	srv := reference.Start(t)                  // 127.0.0.1:0, a fresh temp root, test/test + anonymous
//	c, _ := ftp.Dial(srv.Addr())
//
// It implements RFC 959 with the RFC 1123 corrections, FEAT/OPTS (RFC 2389), EPRT/EPSV (RFC 2428),
// SIZE/MDTM/REST/MLST/MLSD/TVFS (RFC 3659), TLS (RFC 4217, explicit and implicit), UTF-8 and LANG
// (RFC 2640) and HOST (RFC 7151), with the protections of RFC 2577: passive ports chosen at random
// within a configured range, data connections accepted only from the control connection's address,
// PORT/EPRT only to the client itself, no user enumeration, atomic uploads.
//
// Fault modes (Config.Faults, see Faults) each break exactly one of those rules on purpose, read at
// exactly the place where the rule lives, so the harness can prove it catches the breach.
//
// A read-only virtual directory /synthetic/<size>/<name> holds files of any size whose bytes are
// computed by internal/payload from (name, offset), so load runs need no disk.
package reference

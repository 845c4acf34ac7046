// Package loadgen drives many simultaneous FTP transfers against one server and proves, byte by
// byte, that every data connection reached the transfer that asked for it.
//
// It is shaped like vegeta: a Scenario (strict YAML, or plain fields set by flags) is attacked by
// Run, which produces a stream of verified transfers; a collector turns them into HDR histograms,
// a per-second series and counts; the result is a *reports.Load. The package never prints:
// progress goes to an Observer that the command line wires to bars or plain lines.
//
// The point of the tool is same-IP passive load. In lockstep mode (the default) every round of
// transfers goes through two barriers: all sessions send PASV/EPSV and receive their ports before
// any data connection opens; the data connections then open in an order shuffled against the
// order the ports were handed out; only when all are open does any session send RETR. A server
// that ties a data connection to a transfer by anything weaker than its own listener (the client
// IP, a shared port, the order of arrival) hands some session another session's bytes, and
// because every file's content is self-identifying (internal/payload) the verdict names the file
// the bytes came from.
package loadgen

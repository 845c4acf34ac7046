package loadgen

import (
	"fmt"
	"strings"
)

// The errors Run and Verdict return, and the exit codes the command line gives them:
//
//	*FieldError      2  the scenario or a flag is wrong (file:line: field: problem)
//	*BudgetError     2  the run needs more file descriptors than the process may open
//	*FailedError     1  the run completed and the server failed it (Verdict)
//	*TargetError     3  the target could not be reached, or refused what the run needs
//	*IncompleteError 3  the run was interrupted or lost its target; the Load returned is partial

// BudgetError says the run cannot fit in the process's file descriptor limit.
type BudgetError struct {
	Need     uint64 // descriptors the run needs, about
	Limit    uint64 // the process's limit after raising the soft limit to the hard one
	Sessions int    // sessions this process would run
	PerSess  int    // descriptors each session holds at once
}

func (e *BudgetError) Error() string {
	shards := (e.Need + e.Limit - 1) / max(e.Limit, 1)
	return fmt.Sprintf("sessions: %d sessions need about %d file descriptors (%d each, plus thieves and a margin) but this process may open %d: raise the hard limit (ulimit -Hn %d, or LimitNOFILE=%d for a service, or nofile in /etc/security/limits.conf), or split the run into at least %d shards with --shard i/%d",
		e.Sessions, e.Need, e.PerSess, e.Limit, e.Need, e.Need, shards+1, shards+1)
}

// TargetError says the target could not be reached or refused what the run needs (login, the
// work directory, the uploads) before any load was put on it.
type TargetError struct {
	Op  string // what was being done: "connect", "login", "prepare", …
	Err error
}

func (e *TargetError) Error() string { return "target: " + e.Op + ": " + e.Err.Error() }
func (e *TargetError) Unwrap() error { return e.Err }

// IncompleteError says the run did not complete: it was cancelled (Ctrl-C, SIGTERM) or the
// target went away in the middle. The Load returned alongside it holds every transfer that
// finished; the caller marks the run partial.
type IncompleteError struct {
	Reason string
	Err    error
}

func (e *IncompleteError) Error() string {
	if e.Err != nil {
		return "load run incomplete: " + e.Reason + ": " + e.Err.Error()
	}
	return "load run incomplete: " + e.Reason
}
func (e *IncompleteError) Unwrap() error { return e.Err }

// FailedError says the server failed the run: transfers that were not ok, or breached thresholds.
type FailedError struct {
	Reasons []string
}

func (e *FailedError) Error() string { return "load failed: " + strings.Join(e.Reasons, "; ") }

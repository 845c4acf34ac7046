package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Exit codes. Scripts depend on them; they never change meaning.
const (
	exitOK          = 0 // everything passed
	exitFailed      = 1 // a conformance failure, a failed/misrouted/corrupt/stolen transfer, a breached threshold or a regression
	exitUsage       = 2 // bad usage or input: the message names the flag, file or value
	exitUnreachable = 3 // the target could not be reached, or the run could not complete
)

// codedError carries an exit code with the error that explains it.
type codedError struct {
	code int
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

func usageErr(err error) error       { return &codedError{exitUsage, err} }
func unreachableErr(err error) error { return &codedError{exitUnreachable, err} }
func failedErr(err error) error      { return &codedError{exitFailed, err} }

// exitCode maps an error to the process exit code. The table is the one place that decides: typed
// errors from the packages are recognised here rather than converted at every call site.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ce *codedError
	if errors.As(err, &ce) {
		return ce.code
	}
	var pe *fs.PathError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return exitUnreachable
	case errors.As(err, &pe):
		return exitUsage
	}
	for _, m := range packageErrorCodes {
		if m.match(err) {
			return m.code
		}
	}
	// Cobra reports unknown commands and bad arguments as plain errors.
	if s := err.Error(); strings.HasPrefix(s, "unknown command") || strings.Contains(s, "arg(s)") || strings.HasPrefix(s, "unknown flag") {
		return exitUsage
	}
	return exitUnreachable
}

// oneLine keeps error output to a single line, as the CLI contract promises.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// terminalSafe escapes what a hostile server could have put into an error message (a reply's
// text, a banner, bytes that are not FTP at all): control bytes, escape sequences, non-printable
// runes and bytes that are not UTF-8 become \xNN, so they reach the terminal as text, never as
// commands to it.
func terminalSafe(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			if r == utf8.RuneError {
				n = 1
			}
			for _, x := range []byte(s[i : i+n]) {
				fmt.Fprintf(&b, `\x%02X`, x)
			}
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package loadgen

import "golang.org/x/sys/unix"

// isTerminal reports whether fd is a terminal: only a terminal answers the termios request,
// which the BSDs (macOS among them) call TIOCGETA.
func isTerminal(fd uintptr) bool {
	_, err := unix.IoctlGetTermios(int(fd), unix.TIOCGETA)
	return err == nil
}

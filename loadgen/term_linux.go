package loadgen

import "golang.org/x/sys/unix"

// isTerminal reports whether fd is a terminal: only a terminal answers the termios request.
func isTerminal(fd uintptr) bool {
	_, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
	return err == nil
}

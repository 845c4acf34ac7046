//go:build unix

package reference

import "syscall"

// setOOBInline keeps TCP urgent data in the byte stream (SO_OOBINLINE), for the urgent ABOR.
func setOOBInline(fd uintptr) {
	_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_OOBINLINE, 1)
}

// peerClosed peeks at the socket without consuming or blocking: end of stream, or an error other
// than "nothing to read yet", means the peer has gone.
func peerClosed(fd uintptr) bool {
	var b [1]byte
	n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return (n == 0 && err == nil) || (err != nil && err != syscall.EAGAIN && err != syscall.EINTR)
}

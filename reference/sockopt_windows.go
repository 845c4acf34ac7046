package reference

// setOOBInline is a no-op on Windows: the urgent byte of an "urgent" ABOR may be lost there, and
// the command is then read without it.
func setOOBInline(uintptr) {}

// peerClosed cannot peek without blocking on Windows' overlapped sockets, so a client that dies
// mid-upload is noticed by the data connection alone there.
func peerClosed(uintptr) bool { return false }

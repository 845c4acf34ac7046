//go:build unix

package loadgen

import "golang.org/x/sys/unix"

// raiseFDLimit raises RLIMIT_NOFILE's soft limit to its hard limit and returns the new limit.
// (The Go runtime does the same at start-up on Linux; doing it here keeps the promise on systems
// and in embeddings where it did not.)
func raiseFDLimit() (uint64, error) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 0, err
	}
	if rl.Cur < rl.Max {
		want := rl
		want.Cur = rl.Max
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &want); err == nil {
			rl = want
		}
	}
	return rl.Cur, nil
}

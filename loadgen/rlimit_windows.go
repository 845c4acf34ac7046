package loadgen

import "errors"

// raiseFDLimit: Windows has no per-process descriptor limit to read or raise (sockets are
// handles, bounded by memory), so the budget check is skipped there.
func raiseFDLimit() (uint64, error) {
	return 0, errors.New("no descriptor limit on windows")
}

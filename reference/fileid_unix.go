//go:build unix

package reference

import (
	"io/fs"
	"syscall"
)

// fileID is the device and inode that make MLSx's unique fact (RFC 3659 §7.5.2).
func fileID(info fs.FileInfo) (dev, ino uint64, ok bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return uint64(st.Dev), uint64(st.Ino), true
}

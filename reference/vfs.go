package reference

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"time"
)

// Paths. A session sees a virtual tree rooted at "/" (RFC 3659 §6 TVFS: "/" separates names and
// ".." goes up). Every path a client sends is joined to the working directory and cleaned into an
// absolute virtual path first; only then is it turned into a name relative to the user's os.Root,
// which refuses any name — through "..", an absolute symlink or a symlink pointing outside — that
// would leave the root. Cleaning alone already keeps ".." from climbing above "/".

// resolvePath returns the cleaned absolute virtual path arg names when the working directory is
// cwd.
func resolvePath(cwd, arg string) string {
	if strings.HasPrefix(arg, "/") {
		return path.Clean(arg)
	}
	return path.Join(cwd, arg) // Join cleans
}

// rootName turns a cleaned absolute virtual path into a name for os.Root.
func rootName(v string) string {
	if v == "/" {
		return "."
	}
	return v[1:]
}

// The synthetic tree: /synthetic/<size>/<name> is a read-only file of <size> bytes whose content
// is payload.NewReader(<name>, <size>). Directories /synthetic and /synthetic/<size> exist for
// every size and list empty.
const syntheticRoot = "/synthetic"

// syntheticModTime is the fixed modification time of synthetic files, so MDTM is stable.
var syntheticModTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// maxSyntheticSize bounds sizes so offsets never overflow (1 PiB).
const maxSyntheticSize = 1 << 50

type synthKind int

const (
	notSynthetic synthKind = iota
	synthDir
	synthFileKind
	synthInvalid // under /synthetic but not a valid name: does not exist
)

// parseSynthetic classifies a cleaned absolute virtual path.
func parseSynthetic(v string) (kind synthKind, name string, size int64) {
	if v != syntheticRoot && !strings.HasPrefix(v, syntheticRoot+"/") {
		return notSynthetic, "", 0
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(v, syntheticRoot), "/")
	if rest == "" {
		return synthDir, "", 0
	}
	sz, name, hasName := strings.Cut(rest, "/")
	n, err := strconv.ParseInt(sz, 10, 64)
	if err != nil || n < 0 || n > maxSyntheticSize || sz[0] == '+' {
		return synthInvalid, "", 0
	}
	if !hasName {
		return synthDir, "", n
	}
	if name == "" || strings.Contains(name, "/") {
		return synthInvalid, "", 0
	}
	return synthFileKind, name, n
}

// synthInfo is the fs.FileInfo of a synthetic file or directory.
type synthInfo struct {
	name string
	size int64
	dir  bool
}

func (i synthInfo) Name() string { return i.name }
func (i synthInfo) Size() int64  { return i.size }
func (i synthInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}
func (i synthInfo) ModTime() time.Time { return syntheticModTime }
func (i synthInfo) IsDir() bool        { return i.dir }
func (i synthInfo) Sys() any           { return nil }

// errReadOnly refuses writes to the synthetic tree or by read-only users.
var errReadOnly = errors.New("permission denied")

// upload is a file being received. Unless the stor-not-atomic fault is on, data goes to a temporary
// file in the destination's directory, and only commit renames it to its final name: rename within
// a directory is atomic, so readers (and a client that died mid-transfer) see the whole file or
// nothing, never a prefix.
type upload struct {
	root   *os.Root
	f      *os.File
	tmp    string // root-relative; "" when writing in place
	final  string // root-relative
	fsync  bool
	closed bool
}

// uploadMode says how the new content relates to the old.
type uploadMode int

const (
	uploadReplace uploadMode = iota // STOR (offset 0): new content
	uploadAppend                    // APPE: old content, then the new
	uploadRestart                   // REST n + STOR/APPE: the first n bytes of the old, then the new (RFC 3659 §5.3)
)

// errRestartPastEnd is a restart marker beyond the stored file's end.
var errRestartPastEnd = errors.New("restart point beyond end of file")

// newUpload prepares an upload to final. With atomic uploads APPE and REST+STOR copy the
// existing bytes into the temporary file first (copy_file_range makes that cheap on most
// filesystems), so even an append is all-or-nothing.
func newUpload(root *os.Root, final string, mode uploadMode, offset int64, atomic, fsync bool) (*upload, error) {
	u := &upload{root: root, final: final, fsync: fsync}
	if !atomic {
		return u.openInPlace(mode, offset)
	}
	var suffix [8]byte
	_, _ = rand.Read(suffix[:])
	u.tmp = path.Join(path.Dir(final), ".ftpspec-upload-"+hex.EncodeToString(suffix[:]))
	f, err := root.OpenFile(u.tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	u.f = f
	if mode == uploadReplace {
		return u, nil
	}
	old, err := root.Open(final)
	if errors.Is(err, fs.ErrNotExist) && offset == 0 {
		return u, nil // APPE to a missing file creates it
	}
	if err != nil {
		u.abort()
		return nil, err
	}
	defer old.Close()
	st, err := old.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = fmt.Errorf("%s: not a plain file", final)
	}
	if err == nil && mode == uploadRestart && offset > st.Size() {
		err = errRestartPastEnd
	}
	if err == nil {
		var src io.Reader = old
		if mode == uploadRestart {
			src = io.LimitReader(old, offset)
		}
		_, err = io.Copy(f, src)
	}
	if err != nil {
		u.abort()
		return nil, err
	}
	return u, nil
}

// openInPlace is the stor-not-atomic fault: write straight into the final name.
func (u *upload) openInPlace(mode uploadMode, offset int64) (*upload, error) {
	flag := os.O_WRONLY | os.O_CREATE
	switch mode {
	case uploadReplace:
		flag |= os.O_TRUNC
	case uploadAppend:
		flag |= os.O_APPEND
	}
	f, err := u.root.OpenFile(u.final, flag, 0o644)
	if err != nil {
		return nil, err
	}
	if mode == uploadRestart {
		if err := f.Truncate(offset); err == nil {
			_, err = f.Seek(offset, io.SeekStart)
		}
		if err != nil {
			f.Close()
			return nil, err
		}
	}
	u.f = f
	return u, nil
}

// commit makes the upload visible under its final name.
func (u *upload) commit() error {
	if u.closed {
		return errors.New("upload already finished")
	}
	u.closed = true
	var err error
	if u.fsync {
		err = u.f.Sync()
	}
	if cerr := u.f.Close(); err == nil {
		err = cerr
	}
	if u.tmp == "" {
		return err
	}
	if err == nil {
		err = u.root.Rename(u.tmp, u.final)
	}
	if err != nil {
		_ = u.root.Remove(u.tmp)
	}
	return err
}

// abort discards the upload: nothing appears under the final name (except under the fault, which
// leaves what was written).
func (u *upload) abort() {
	if u.closed {
		return
	}
	u.closed = true
	u.f.Close()
	if u.tmp != "" {
		_ = u.root.Remove(u.tmp)
	}
}

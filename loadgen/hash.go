package loadgen

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/ftpspec/ftpspec/internal/payload"
)

// hashCmd is how the server offers to hash a stored file, learned from FEAT: "HASH" (the IETF
// draft-bryan-ftpext-hash, with SHA-256 among its algorithms), "XSHA256", or "" for none.
// selectSHA256 says HASH needs "OPTS HASH SHA-256" because another algorithm is the default.
func hashSupport(feat []string) (cmd string, selectSHA256 bool) {
	for _, f := range feat {
		name, algs, _ := strings.Cut(strings.TrimSpace(f), " ")
		if strings.EqualFold(name, "HASH") {
			for a := range strings.SplitSeq(algs, ";") {
				if strings.EqualFold(strings.TrimSuffix(a, "*"), "SHA-256") {
					return "HASH", !strings.HasSuffix(a, "*")
				}
			}
		}
	}
	for _, f := range feat {
		if strings.EqualFold(strings.TrimSpace(f), "XSHA256") {
			return "XSHA256", false
		}
	}
	return "", false
}

// hashFromReply finds the SHA-256 digest in a reply's text: the first run of 64 hex digits.
func hashFromReply(text string) (string, bool) {
	for w := range strings.FieldsSeq(text) {
		if len(w) == 64 {
			if _, err := hex.DecodeString(w); err == nil {
				return strings.ToLower(w), true
			}
		}
	}
	return "", false
}

// payloadSHA256 is the digest of bytes [0, size) of the named synthetic file, computed with buf.
func payloadSHA256(name string, size int64, buf []byte) string {
	h := sha256.New()
	f := payload.NewFiller(name)
	for off := int64(0); off < size; {
		n := int(min(int64(len(buf)), size-off))
		f.Fill(buf[:n], off)
		h.Write(buf[:n])
		off += int64(n)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// hashed checks a stored file by the server's hash of it. It reports true when the server's
// digest equals the digest of what was sent; false means "read it back" (no hash offered, an
// error reply, or a different digest, whose cause only the bytes can name).
func (s *session) hashed(ctx context.Context, x *transfer) bool {
	cmd := s.r.hashCmd
	if cmd == "" {
		return false
	}
	rep, err := s.cmd(ctx, &x.replies, cmd+" "+x.path)
	if err != nil || rep.Class() != 2 {
		return false
	}
	got, ok := hashFromReply(rep.Text())
	return ok && got == payloadSHA256(x.name, x.size, s.buf)
}

package reference

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"io"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/internal/payload"
)

// TestOrdinaryGoClient drives the reference with github.com/jlaffaye/ftp, the ordinary Go FTP
// client: what a user's own Go code would do against it, over EPSV, PASV and explicit TLS.
func TestOrdinaryGoClient(t *testing.T) {
	srv := startTest(t)
	tlsCfg := func() *tls.Config {
		// The same ServerName and a session cache let the PROT P data connections resume the
		// control connection's session, which the reference requires (RFC 4217 §10).
		return &tls.Config{InsecureSkipVerify: true, ServerName: "ftpspec", ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	}
	tests := []struct {
		name string
		opts []ftp.DialOption
	}{
		{"epsv", nil},
		{"pasv", []ftp.DialOption{ftp.DialWithDisabledEPSV(true)}},
		{"explicit-tls", []ftp.DialOption{ftp.DialWithExplicitTLS(tlsCfg())}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ftp.Dial(srv.Addr(), append(tc.opts, ftp.DialWithTimeout(10*time.Second))...)
			require.NoError(t, err)
			defer c.Quit()
			require.NoError(t, c.Login("test", "test"))

			dir := "go-" + tc.name
			require.NoError(t, c.MakeDir(dir))
			want := make([]byte, 1<<20+17)
			_, _ = rand.Read(want)
			require.NoError(t, c.Stor(dir+"/f.bin", bytes.NewReader(want)))
			size, err := c.FileSize(dir + "/f.bin")
			require.NoError(t, err)
			assert.EqualValues(t, len(want), size)

			assert.Equal(t, want, retr(t, c, dir+"/f.bin", 0))
			assert.Equal(t, want[4096:], retr(t, c, dir+"/f.bin", 4096), "REST then RETR")

			require.NoError(t, c.Append(dir+"/f.bin", bytes.NewReader([]byte("tail"))))
			assert.Equal(t, append(bytes.Clone(want), "tail"...), retr(t, c, dir+"/f.bin", 0))

			require.NoError(t, c.Rename(dir+"/f.bin", dir+"/g.bin"))
			entries, err := c.List(dir) // MLSD: the directory itself ("cdir") comes too
			require.NoError(t, err)
			var files []*ftp.Entry
			for _, e := range entries {
				if e.Type == ftp.EntryTypeFile {
					files = append(files, e)
				}
			}
			require.Len(t, files, 1)
			assert.Equal(t, "g.bin", files[0].Name)
			assert.EqualValues(t, len(want)+4, files[0].Size)

			// A synthetic file through the ordinary client is byte-for-byte the payload.
			got := retr(t, c, "/synthetic/100000/go-"+tc.name, 0)
			v := payload.NewVerifier("go-"+tc.name, 0, 100000, nil)
			_, _ = v.Write(got)
			assert.True(t, v.Result().OK(), "synthetic bytes: %+v", v.Result().Mismatch)

			require.NoError(t, c.Delete(dir+"/g.bin"))
			require.NoError(t, c.RemoveDir(dir))
		})
	}
}

func retr(t *testing.T, c *ftp.ServerConn, path string, offset uint64) []byte {
	t.Helper()
	r, err := c.RetrFrom(path, offset)
	require.NoError(t, err)
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	return b
}

package target

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in       string
		want     Target
		redacted string
	}{
		{"ftp://test:test@127.0.0.1:2121", Target{"ftp", "127.0.0.1", "2121", "test", "test", ""}, "ftp://test@127.0.0.1:2121"},
		{"ftp://127.0.0.1", Target{"ftp", "127.0.0.1", "21", "anonymous", "ftpspec@", ""}, "ftp://127.0.0.1:21"},
		{"ftps://u:p%40ss@[::1]:990/pub/x", Target{"ftps", "::1", "990", "u", "p@ss", "pub/x"}, "ftps://u@[::1]:990/pub/x"},
		{"FTP://h", Target{"ftp", "h", "21", "anonymous", "ftpspec@", ""}, "ftp://h:21"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := Parse(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.redacted, got.String())
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"http://x", "127.0.0.1:21", "ftp://", "ftp://h/?a=b", "ftp://h:99999999999x"} {
		_, err := Parse(in)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), "target URL", in)
	}
}

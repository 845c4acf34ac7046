package suites

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ftpspec/ftpspec/internal/target"
)

func TestExtHostArg(t *testing.T) {
	for host, want := range map[string]string{
		"127.0.0.1":       "127.0.0.1",
		"::1":             "[::1]",
		"ftp.example.com": "ftp.example.com",
		"::ffff:10.0.0.1": "[::ffff:10.0.0.1]",
	} {
		env := &Env{Target: target.Target{Host: host}}
		assert.Equal(t, want, extHostArg(env), host)
	}
}

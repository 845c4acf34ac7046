package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestShardFromEnv(t *testing.T) {
	env := map[string]string{"IDX": "2", "BAD": "two", "NEG": "-1"}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		name, variable string
		shards         int
		want, errPart  string
	}{
		{"0-based index becomes 1-based shard", "IDX", 4, "3/4", ""},
		{"last index", "IDX", 3, "3/3", ""},
		{"index beyond the count", "IDX", 2, "", `value "2" is not a shard index 0..1`},
		{"not a number", "BAD", 4, "", `"two"`},
		{"negative", "NEG", 4, "", `"-1"`},
		{"unset variable", "UNSET", 4, "", "UNSET: the environment variable is not set"},
		{"no count", "IDX", 0, "", "needs --shards N"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := shardFromEnv(tc.variable, tc.shards, getenv)
			if tc.errPart != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.errPart)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestLoadShardFromEnv runs the way a pod of the Kubernetes Indexed Job does: no shell, the index
// from JOB_COMPLETION_INDEX.
func TestLoadShardFromEnv(t *testing.T) {
	t.Setenv("JOB_COMPLETION_INDEX", "1")
	js := filepath.Join(t.TempDir(), "shard.json")
	code, out, errOut := ftpspec(t, "load", "--sessions", "4", "--transfers", "1", "--shard-from-env", "JOB_COMPLETION_INDEX", "--shards", "2", "--json", js)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	l := readRun(t, js).Load
	require.NotNil(t, l)
	require.NotNil(t, l.Shard)
	assert.Equal(t, 2, l.Shard.Index, "index 1 of 0..1 is shard 2/2")
	assert.Equal(t, 2, l.Shard.Count)
	assert.Equal(t, 2, l.Transfers.Attempted, "half of the 4 sessions, one transfer each")

	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--shard-from-env", "JOB_COMPLETION_INDEX"}, "needs --shards"},
		{[]string{"--shards", "2"}, "--shards needs --shard-from-env"},
		{[]string{"--shard-from-env", "JOB_COMPLETION_INDEX", "--shards", "2", "--shard", "1/2"}, "one or the other"},
		{[]string{"--shard-from-env", "NO_SUCH_VARIABLE_FTPSPEC", "--shards", "2"}, "NO_SUCH_VARIABLE_FTPSPEC"},
	} {
		code, _, errOut := ftpspec(t, append([]string{"load", "--sessions", "4", "--transfers", "1"}, tc.args...)...)
		assert.Equal(t, 2, code, errOut)
		assert.Contains(t, errOut, tc.msg)
	}
}

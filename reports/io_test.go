package reports

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunJSONRoundTrip(t *testing.T) {
	runs := fixtureMatrix(t)
	for _, r := range runs {
		var buf bytes.Buffer
		require.NoError(t, Encode(&buf, r))
		got, err := Decode(&buf, "run.json")
		require.NoError(t, err)
		assert.Equal(t, r, got)
	}
}

func TestEventDataIsByteExact(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		b64  bool
	}{
		{"ascii with CRLF", []byte("USER test\r\n"), false},
		{"bare LF and NUL", []byte("220 x\n\x00"), false},
		{"UTF-8", []byte("257 \"/日本\"\r\n"), false},
		{"Latin-1", []byte("RETR caf\xe9\r\n"), true},
		{"invalid bytes", []byte{0xff, 0xfe, 0x80, '\r', '\n'}, true},
		{"empty but present", []byte{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Event{AtMS: 1.25, Conn: "ctrl", Kind: Recv, Data: tt.data}
			j, err := e.MarshalJSON()
			require.NoError(t, err)
			assert.Equal(t, tt.b64, strings.Contains(string(j), `"b64":true`), string(j))
			var back Event
			require.NoError(t, back.UnmarshalJSON(j))
			assert.Equal(t, tt.data, back.Data)
		})
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out", "run.json")
	r := fixtureRun(t, fixtureOpts{url: "ftp://h:21", conform: true})
	r.Schema = ""

	// A missing folder is an error, and no folder is made: a typo must not create folders.
	err := WriteFile(path, r)
	require.ErrorContains(t, err, "does not exist")
	require.NoDirExists(t, filepath.Dir(path))
	require.NoError(t, os.Mkdir(filepath.Dir(path), 0o755))
	require.NoError(t, WriteFile(path, r))
	assert.Equal(t, SchemaV1, r.Schema, "a missing schema is filled in")
	got, err := ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, r, got)

	// Rewriting replaces the file whole and leaves nothing beside it.
	r.Label = "second"
	require.NoError(t, WriteFile(path, r))
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	require.Len(t, entries, 1)
	got, err = ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "second", got.Label)

	// A write that cannot complete leaves the old file as it was.
	require.NoError(t, os.Chmod(filepath.Dir(path), 0o500))
	t.Cleanup(func() { os.Chmod(filepath.Dir(path), 0o755) })
	if os.Geteuid() != 0 { // root ignores directory permissions
		r.Label = "third"
		require.Error(t, WriteFile(path, r))
		got, err = ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, "second", got.Label)
	}
}

func TestDecodeRefusesOtherDocuments(t *testing.T) {
	tests := []struct {
		name, doc string
		schema    bool
		want      string
	}{
		{"other major version", `{"schema":"ftpspec.run/v2"}`, true, `run.json: schema "ftpspec.run/v2" is not supported by this ftpspec (it reads "ftpspec.run/v1")`},
		{"no schema", `{"target":{}}`, true, `run.json: not an ftpspec run document (no "schema" field; want "ftpspec.run/v1")`},
		{"not JSON", `<html>`, false, "run.json: not valid JSON"},
		{"bad field type", `{"schema":"ftpspec.run/v1","load":{"sessions":"many"}}`, false, "run.json: json: cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tt.doc), "run.json")
			require.Error(t, err)
			var se *SchemaError
			assert.Equal(t, tt.schema, errors.As(err, &se))
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// Values no run can produce are refused on reading, naming the file, the field and the value
// (issue 11, item 10): a damaged document must not be rendered as if it were true.
func TestDecodeRefusesImpossibleValues(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"unknown outcome", `{"schema":"ftpspec.run/v1","conformance":{"cases":[{"id":"a","outcome":"pass"},{"id":"b","outcome":"banana"}],"totals":{}}}`,
			`run.json: conformance.cases[1].outcome: "banana" is not valid`},
		{"negative ok", `{"schema":"ftpspec.run/v1","load":{"transfers":{"attempted":5,"ok":-3}}}`, `run.json: load.transfers.ok: -3 is not valid (want a count ≥ 0)`},
		{"ok above attempted", `{"schema":"ftpspec.run/v1","load":{"transfers":{"attempted":5,"ok":6}}}`, `load.transfers.ok: 6 is not valid (want at most transfers.attempted (5))`},
		{"negative total", `{"schema":"ftpspec.run/v1","conformance":{"cases":[],"totals":{"fail":-1}}}`, `conformance.totals.fail: -1`},
		{"negative rate", `{"schema":"ftpspec.run/v1","load":{"transfers_per_s":-2}}`, `load.transfers_per_s: -2`},
		{"shard outside its count", `{"schema":"ftpspec.run/v1","load":{"shard":{"index":3,"count":2}}}`, `load.shard: "3/2"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tt.doc), "run.json")
			require.Error(t, err)
			var de *DocumentError
			assert.True(t, errors.As(err, &de))
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := Decode(strings.NewReader(`{"schema":"ftpspec.run/v1","conformance":{"cases":[{"id":"a","outcome":"xpass"}],"totals":{"xpass":1}}}`), "run.json")
	assert.NoError(t, err)
}

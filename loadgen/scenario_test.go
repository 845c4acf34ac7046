package loadgen

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/internal/payload"
)

func TestParseFullScenario(t *testing.T) {
	doc := `
name: everything
target: ftp://u:p@127.0.0.1:2121/dir
sessions: 12
ramp_up: 1500ms
transfers: 3
duration: 1m
think: 10ms
lockstep: false
mix: {RETR: 5, STOR: 2, REST: 1}
size: {4KiB: 3, 1MiB: 1}
data_mode: {epsv: 2, port: 1}
tls: explicit
prot: C
sources: [127.0.0.1, 127.0.0.5-127.0.0.6]
thief_source: 127.0.0.9
steal: 4
thresholds: ["misrouted==0", "p99<250ms"]
pasv_ports: 40000-40999
content: upload
work_dir: loadtest
keep: true
timeout: 5s
seed: 42
shard: 2/3
`
	sc, err := Parse("all.yaml", []byte(doc))
	require.NoError(t, err)
	require.NoError(t, sc.Validate())
	assert.Equal(t, "everything", sc.Name)
	assert.Equal(t, 12, sc.Sessions)
	assert.Equal(t, 1500*time.Millisecond, sc.RampUp)
	assert.Equal(t, 3, sc.Transfers)
	assert.Equal(t, time.Minute, sc.Duration)
	assert.False(t, sc.Lockstep)
	assert.Equal(t, Mix[Op]{{OpRETR, 5}, {OpSTOR, 2}, {OpREST, 1}}, sc.Mix)
	assert.Equal(t, SizeDist{Choices: Mix[int64]{{4096, 3}, {1 << 20, 1}}}, sc.Size)
	assert.Equal(t, Mix[Mode]{{ModeEPSV, 2}, {ModePORT, 1}}, sc.DataMode)
	assert.Equal(t, TLSExplicit, sc.TLS)
	assert.Equal(t, "C", sc.Prot)
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.5"), netip.MustParseAddr("127.0.0.6")}, sc.Sources)
	assert.Equal(t, netip.MustParseAddr("127.0.0.9"), sc.ThiefSource)
	assert.Equal(t, 4, sc.Steal)
	assert.Equal(t, []string{"misrouted==0", "p99<250ms"}, sc.Thresholds)
	assert.Equal(t, ContentUpload, sc.Content)
	assert.Equal(t, "loadtest", sc.WorkDir)
	assert.True(t, sc.Keep)
	assert.Equal(t, 5*time.Second, sc.Timeout)
	assert.EqualValues(t, 42, sc.Seed)
	assert.Equal(t, Shard{2, 3}, sc.Shard)
}

func TestParseDefaultsKeepUnsetFields(t *testing.T) {
	sc, err := Parse("s.yaml", []byte("sessions: 7\n"))
	require.NoError(t, err)
	def := Default()
	assert.Equal(t, 7, sc.Sessions)
	assert.Equal(t, def.Transfers, sc.Transfers)
	assert.Equal(t, def.Mix, sc.Mix)
	assert.Equal(t, def.Size, sc.Size)
	assert.True(t, sc.Lockstep)
}

func TestParseErrorsNameFileLineAndField(t *testing.T) {
	tests := []struct {
		name, doc     string
		line          int
		field, reason string
	}{
		{"unknown key", "sessions: 10\nno_such_key: 3\n", 2, "no_such_key", "unknown key"},
		{"duplicate key", "sessions: 10\nsessions: 11\n", 2, "", "already defined"},
		{"not a number", "sessions: 10\ntransfers: many\n", 2, "transfers", `want a whole number, got "many"`},
		{"bad duration", "ramp_up: 10\n", 1, "ramp_up", "want a duration"},
		{"bad bool", "keep: maybe\n", 1, "keep", "want true or false"},
		{"bad op", "mix:\n  RETR: 1\n  FETCH: 2\n", 3, "mix", `unknown operation "FETCH"`},
		{"bad weight", "mix: {RETR: 0}\n", 1, "mix", "weight of RETR"},
		{"twice", "size:\n  1KiB: 1\n  1024: 2\n", 3, "size", "1024 appears twice"},
		{"bad list entry", "thresholds:\n  - ok>1\n  - [1]\n", 3, "thresholds", "want a single value"},
		{"bad mode", "data_mode: passive\n", 1, "data_mode", `unknown data mode "passive"`},
		{"bad size", "size: lots\n", 1, "size", `size "lots"`},
		{"bad range", "size: 2MiB-1MiB\n", 1, "size", "low end above high end"},
		{"bad tls", "tls: maybe\n", 1, "tls", "want one of none, explicit, implicit"},
		{"bad source", "sources: [127.0.0.1, nowhere]\n", 1, "sources", `"nowhere"`},
		{"list for scalar", "sessions: [1, 2]\n", 1, "sessions", "want a single value, got a list"},
		{"bad shard", "shard: 3/2\n", 1, "shard", "want 1 ≤ i ≤ n"},
		{"syntax", "sessions: 10\n  transfers: 2\n", 2, "", "mapping values are not allowed"},
		{"two documents", "sessions: 10\n---\nsessions: 11\n", 2, "", "one YAML document"},
		{"empty", "\n\n", 1, "", "empty scenario"},
		{"not a mapping", "- 1\n- 2\n", 1, "", "cannot unmarshal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tc.doc))
			require.Error(t, err)
			var fe *FieldError
			require.True(t, errors.As(err, &fe), "want a *FieldError, got %T: %v", err, err)
			assert.Equal(t, "bad.yaml", fe.File)
			assert.Equal(t, tc.line, fe.Line, "%v", err)
			assert.Equal(t, tc.field, fe.Field, "%v", err)
			assert.Contains(t, err.Error(), tc.reason)
			prefix := "bad.yaml:" + itoa(tc.line) + ": "
			assert.True(t, strings.HasPrefix(err.Error(), prefix), "%q does not start with %q", err, prefix)
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestValidateNamesTheField(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Scenario)
		want string
	}{
		{"sessions", func(s *Scenario) { s.Sessions = -1 }, "sessions: must be ≥ 1, got -1"},
		{"transfers", func(s *Scenario) { s.Transfers = -2 }, "transfers: must be ≥ 0, got -2"},
		{"endless", func(s *Scenario) { s.Transfers, s.Duration = 0, 0 }, "transfers: set transfers (per session) or duration"},
		{"burst and ramp", func(s *Scenario) { s.Burst, s.RampUp = true, time.Second }, "burst: cannot be combined with ramp_up"},
		{"steal", func(s *Scenario) { s.Steal = -1 }, "steal: must be ≥ 0, got -1"},
		{"steal active", func(s *Scenario) { s.Steal, s.DataMode = 2, Mix[Mode]{{ModePORT, 1}} }, "steal: thieves go for passive ports"},
		{"thief is a session", func(s *Scenario) {
			s.Steal, s.Sources = 1, []netip.Addr{netip.MustParseAddr("127.0.0.2")}
		}, "thief_source: 127.0.0.2 is also a session source"},
		{"threshold", func(s *Scenario) { s.Thresholds = []string{"p99<<3"} }, "thresholds: threshold"},
		{"unknown metric", func(s *Scenario) { s.Thresholds = []string{"speed>3"} }, `unknown metric "speed"`},
		{"pasv ports", func(s *Scenario) { s.PasvPorts = "9-1" }, "pasv_ports: port range"},
		{"timeout", func(s *Scenario) { s.Timeout = 0 }, "timeout: must be > 0"},
		{"rest size", func(s *Scenario) { s.Mix, s.Size = Mix[Op]{{OpREST, 1}}, FixedSize(1) }, "size: REST needs files of at least 2 bytes"},
		{"shards", func(s *Scenario) { s.Sessions, s.Shard = 2, Shard{1, 3} }, "shard: 3 shards for 2 sessions"},
		{"work dir", func(s *Scenario) { s.WorkDir = "../up" }, "work_dir: must be a plain relative directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := Default()
			tc.edit(&sc)
			err := sc.Validate()
			require.Error(t, err)
			var fe *FieldError
			require.True(t, errors.As(err, &fe))
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	sc := Default()
	assert.NoError(t, sc.Validate())
}

func TestValidatePointsAtTheFileUnlessAFlagOverrode(t *testing.T) {
	sc, err := Parse("s.yaml", []byte("name: x\nsessions: 0\n"))
	require.NoError(t, err)
	assert.EqualError(t, sc.Validate(), "s.yaml:2: sessions: must be ≥ 1, got 0")

	require.NoError(t, sc.Set("sessions", "-1"))
	assert.EqualError(t, sc.Validate(), "sessions: must be ≥ 1, got -1")

	sc.Sessions = 5
	sc.FromFlag("sessions")
	assert.NoError(t, sc.Validate())
}

func TestSetParsesFlagValues(t *testing.T) {
	sc := Default()
	require.NoError(t, sc.Set("size", "1KiB-2KiB"))
	require.NoError(t, sc.Set("mix", "RETR=3,STOR=1"))
	require.NoError(t, sc.Set("data_mode", "mixed"))
	require.NoError(t, sc.Set("sources", "127.0.0.1, 127.0.0.3"))
	require.NoError(t, sc.Set("thresholds", "misrouted==0"))
	require.NoError(t, sc.Set("shard", "1/4"))
	assert.Equal(t, SizeDist{Min: 1024, Max: 2048}, sc.Size)
	assert.Equal(t, Mix[Op]{{OpRETR, 3}, {OpSTOR, 1}}, sc.Mix)
	assert.Len(t, sc.DataMode, 4)
	assert.Len(t, sc.Sources, 2)
	assert.Equal(t, Shard{1, 4}, sc.Shard)

	err := sc.Set("sessions", "ten")
	assert.EqualError(t, err, `sessions: want a whole number, got "ten"`)
	err = sc.Set("colour", "blue")
	assert.ErrorContains(t, err, "colour: unknown field")
}

func TestSizes(t *testing.T) {
	for in, want := range map[string]int64{"65536": 65536, "64KiB": 64 << 10, "1MiB": 1 << 20, "1GiB": 1 << 30, "2MB": 2e6, "3k": 3072, "0": 0, "10 B": 10} {
		got, err := ParseSize(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "-1", "1.5MiB", "lots", "99999999999999999GiB"} {
		_, err := ParseSize(bad)
		assert.Error(t, err, bad)
	}
	d, err := ParseSizeDist("1KiB-1MiB")
	require.NoError(t, err)
	for u := range uint64(2000) {
		v := d.pick(rnd(1, 2, int(u), 3))
		assert.True(t, v >= 1024 && v <= 1<<20)
	}
	assert.Equal(t, "1KiB-1MiB", d.String())
	assert.InDelta(t, (1024+1<<20)/2.0, d.Mean(), 1)
}

func TestMixPickFollowsWeights(t *testing.T) {
	m := Mix[Op]{{OpRETR, 3}, {OpSTOR, 1}}
	counts := map[Op]int{}
	for i := range 40000 {
		counts[m.pick(rnd(7, i, i/3, saltOp))]++
	}
	assert.InDelta(t, 30000, counts[OpRETR], 600)
	assert.InDelta(t, 10000, counts[OpSTOR], 600)

	modes, err := ParseModes("epsv=1,port=1")
	require.NoError(t, err)
	got := map[Mode]int{}
	for i := range 100 {
		got[modes.spread(i, 100)]++
	}
	assert.Equal(t, map[Mode]int{ModeEPSV: 50, ModePORT: 50}, got, "spread divides sessions exactly")
}

func TestExamplesDecodeAndValidate(t *testing.T) {
	files, err := filepath.Glob("examples/*.yaml")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 5)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			sc, err := LoadFile(f)
			require.NoError(t, err)
			require.NoError(t, sc.Validate())
			assert.NotEmpty(t, sc.Name)
			assert.NotEmpty(t, sc.Thresholds, "an example shows thresholds")
		})
	}
	_, err = LoadFile(filepath.Join(t.TempDir(), "missing.yaml"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestShardSpan(t *testing.T) {
	seen := make([]int, 101)
	for i := 1; i <= 7; i++ {
		lo, hi := Shard{i, 7}.span(101)
		for s := lo; s < hi; s++ {
			seen[s]++
		}
	}
	for s, n := range seen {
		assert.Equal(t, 1, n, "session %d", s)
	}
	_, err := ParseShard("0/2")
	assert.Error(t, err)
	sh, err := ParseShard("2/2")
	require.NoError(t, err)
	assert.Equal(t, "2/2", sh.String())
}

func TestHashSupport(t *testing.T) {
	tests := []struct {
		feat   []string
		cmd    string
		choose bool
	}{
		{[]string{"SIZE", "HASH SHA-1*;SHA-256;MD5"}, "HASH", true},
		{[]string{"HASH SHA-256*;SHA-512"}, "HASH", false},
		{[]string{"HASH SHA-1*;MD5", "XSHA256"}, "XSHA256", false},
		{[]string{"MDTM", "SIZE"}, "", false},
	}
	for _, tc := range tests {
		cmd, choose := hashSupport(tc.feat)
		assert.Equal(t, tc.cmd, cmd, "%v", tc.feat)
		assert.Equal(t, tc.choose, choose, "%v", tc.feat)
	}
	want := payloadSHA256("s0001-t00", 100_000, make([]byte, 4096))
	content, err := io.ReadAll(payload.NewReader("s0001-t00", 100_000))
	require.NoError(t, err)
	sum := sha256.Sum256(content)
	assert.Equal(t, hex.EncodeToString(sum[:]), want)
	assert.Equal(t, want, payloadSHA256("s0001-t00", 100_000, make([]byte, 65536)), "independent of the buffer")
	got, ok := hashFromReply("SHA-256 0-99999 " + strings.ToUpper(want) + " dir/s0001-t00")
	require.True(t, ok)
	assert.Equal(t, want, got)
	_, ok = hashFromReply("550 no such file")
	assert.False(t, ok)
}

func TestYAMLTagsNameTheKeys(t *testing.T) {
	var tags []string
	typ := reflect.TypeFor[Scenario]()
	for i := range typ.NumField() {
		if tag := typ.Field(i).Tag.Get("yaml"); tag != "" && tag != "-" {
			tags = append(tags, tag)
		}
	}
	assert.Equal(t, Keys(), tags, "the documented keys are the ones Parse reads, in order")
	raw := reflect.TypeFor[rawScenario]()
	assert.Equal(t, len(tags)+1, raw.NumField(), "every key, and the bench: section package bench reads")
}

func TestStealSharesAddUp(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7} {
		total := 0
		for i := 1; i <= n; i++ {
			total += stealShare(50, 100, Shard{i, n})
		}
		assert.Equal(t, 50, total, "%d shards", n)
	}
}

package reports

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Parsed form of a JUnit document, read back independently of the writer's types.
type jCounts struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Skipped  int `xml:"skipped,attr"`
}

type jDoc struct {
	jCounts
	Suites []jSuite `xml:"testsuite"`
}

type jSuite struct {
	Name string `xml:"name,attr"`
	jCounts
	Cases []jCase `xml:"testcase"`
	Props []struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	} `xml:"properties>property"`
}

type jCase struct {
	Name      string `xml:"name,attr"`
	Classname string `xml:"classname,attr"`
	Failure   *jMsg  `xml:"failure"`
	Error     *jMsg  `xml:"error"`
	Skipped   *jMsg  `xml:"skipped"`
	SystemOut string `xml:"system-out"`
}

type jMsg struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

func renderJUnit(t *testing.T, runs []*Run) ([]byte, jDoc) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, WriteJUnit(&buf, runs, JUnitOptions{}))
	var d jDoc
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &d))
	return buf.Bytes(), d
}

func TestJUnitMapping(t *testing.T) {
	runs := fixtureMatrix(t)
	// Bytes XML cannot carry must not break the document.
	runs[1].Conformance.Cases[3].Actual = "500 bad\x00\x1b[31m\xff\r\n"
	_, doc := renderJUnit(t, runs)

	names := []string{}
	for _, s := range doc.Suites {
		names = append(names, s.Name)
	}
	require.Equal(t, []string{"conformance: reference", "conformance: vsftpd 3.0.5 · no TLS", "conformance: vsftpd 3.0.5 · explicit TLS", "load: vsftpd load"}, names)

	byName := map[string]jCase{}
	for _, c := range doc.Suites[1].Cases {
		byName[c.Name] = c
	}
	require.Len(t, byName, len(fixtureCases), "one testcase per case")

	tests := []struct {
		id        string
		classname string
		check     func(t *testing.T, c jCase)
	}{
		{"rfc959/4.2/multiline-reply", "rfc959.4.2", func(t *testing.T, c jCase) {
			assert.Nil(t, c.Failure)
			assert.Nil(t, c.Error)
			assert.Nil(t, c.Skipped)
		}},
		{"rfc959/5.4/unknown-command", "rfc959.5.4", func(t *testing.T, c jCase) {
			require.NotNil(t, c.Failure)
			assert.Equal(t, "MUST", c.Failure.Type)
			assert.Contains(t, c.Failure.Message, `expected 500 or 502, got 500 bad\x00\x1B[31m\xFF\r\n`)
			assert.Contains(t, c.Failure.Body, "Expected: 500 or 502")
			assert.Contains(t, c.Failure.Body, `-> XYZZY\r\n`)
			assert.Contains(t, c.Failure.Body, `<- 500 <script>`)
		}},
		{"rfc959/4.1.2/pasv-distinct-ports", "rfc959.4.1.2", func(t *testing.T, c jCase) {
			assert.Nil(t, c.Failure, "warn is not a failure")
			assert.Contains(t, c.SystemOut, "warn: a SHOULD requirement is not met")
			assert.Contains(t, c.SystemOut, `data port 40001, peer 127.0.0.1:40001, 65536 bytes, sha256 9f86`)
			assert.Contains(t, c.SystemOut, `RETR caf\xE9\xFF.bin\r\n`)
		}},
		{"rfc959/4.1.3/abor", "rfc959.4.1.3", func(t *testing.T, c jCase) {
			require.NotNil(t, c.Error)
			assert.Contains(t, c.Error.Message, "i/o timeout")
		}},
		{"rfc3659/4/size", "rfc3659.4", func(t *testing.T, c jCase) {
			require.NotNil(t, c.Skipped)
			assert.Equal(t, "unsupported: FEAT does not list SIZE", c.Skipped.Message)
		}},
		{"rfc4217/4/auth-tls", "rfc4217.4", func(t *testing.T, c jCase) {
			require.NotNil(t, c.Skipped)
			assert.Equal(t, "not selected for --tls none", c.Skipped.Message)
		}},
		{"rfc1123/4.1.2.7/list-nlst", "rfc1123.4.1.2.7", func(t *testing.T, c jCase) {
			require.NotNil(t, c.Skipped)
			assert.True(t, strings.HasPrefix(c.Skipped.Message, "xfail: "), c.Skipped.Message)
			assert.Nil(t, c.Failure)
		}},
		{"rfc2428/4/epsv-all", "rfc2428.4", func(t *testing.T, c jCase) {
			require.NotNil(t, c.Failure)
			assert.Contains(t, c.Failure.Message, "unexpectedly passed")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			c, ok := byName[tt.id]
			require.True(t, ok, "testcase %s missing", tt.id)
			assert.Equal(t, tt.classname, c.Classname)
			tt.check(t, c)
		})
	}

	t.Run("suite counts", func(t *testing.T) {
		s := doc.Suites[1]
		assert.Equal(t, len(fixtureCases), s.Tests)
		assert.Equal(t, 2, s.Failures, "fail + xpass")
		assert.Equal(t, 1, s.Errors)
		assert.Equal(t, 4, s.Skipped, "2 unsupported + skip + xfail")
		total := 0
		for _, s := range doc.Suites {
			total += s.Tests
		}
		assert.Equal(t, total, doc.Tests)
	})

	t.Run("load verdicts and thresholds", func(t *testing.T) {
		s := doc.Suites[3]
		got := map[string]jCase{}
		for _, c := range s.Cases {
			got[c.Classname+" "+c.Name] = c
		}
		for _, name := range []string{"load.verdict failed==0", "load.verdict misrouted==0", "load.verdict corrupt==0", "load.verdict stolen==0",
			"load.threshold misrouted==0", "load.threshold p99<250ms", "load.threshold transfers_per_s>=10", "load.threshold error_rate<0.1%"} {
			assert.Contains(t, got, name)
		}
		require.NotNil(t, got["load.verdict misrouted==0"].Failure)
		assert.Equal(t, "3 of 1440 transfers misrouted", got["load.verdict misrouted==0"].Failure.Message)
		assert.Contains(t, got["load.verdict misrouted==0"].Failure.Body, "bytes from s0001-t00 at offset 0")
		require.NotNil(t, got["load.threshold misrouted==0"].Failure)
		assert.Nil(t, got["load.threshold p99<250ms"].Failure)
		require.NotNil(t, got["load.threshold error_rate<0.1%"].Failure)
		assert.Contains(t, got["load.threshold error_rate<0.1%"].Failure.Message, "measured 0.486%")
		assert.Equal(t, 8, s.Tests)
		assert.Equal(t, 6, s.Failures, "failed, misrouted, corrupt, stolen; misrouted==0 and error_rate thresholds")
	})
}

func TestJUnitValidatesAgainstSchema(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not on PATH: install libxml2-utils to validate JUnit output against testdata/junit.xsd")
	}
	dir := t.TempDir()
	validate := func(t *testing.T, doc []byte) error {
		t.Helper()
		f := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".xml")
		require.NoError(t, os.WriteFile(f, doc, 0o644))
		out, err := exec.Command(xmllint, "--noout", "--schema", "testdata/junit.xsd", f).CombinedOutput()
		if err != nil {
			return &schemaErr{string(out)}
		}
		return nil
	}
	empty := []*Run{{Schema: SchemaV1, Target: Target{URL: "ftp://h:21"}}}
	hostile := fixtureMatrix(t)
	hostile[1].Conformance.Cases[0].ID = "rfc959/4.2/<&\"'>"
	hostile[1].Conformance.Cases[3].Actual = "\x00\x01\x02\xfe\xff\uFFFE"
	tests := []struct {
		name string
		runs []*Run
	}{
		{"matrix and load", fixtureMatrix(t)},
		{"hostile strings", hostile},
		{"no results", empty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, _ := renderJUnit(t, tt.runs)
			assert.NoError(t, validate(t, doc))
		})
	}
	t.Run("the schema rejects what CI tools reject", func(t *testing.T) {
		bad := []byte(`<?xml version="1.0"?><testsuites><testsuite name="x" tests="1"><testcase classname="c"/></testsuite></testsuites>`)
		assert.Error(t, validate(t, bad), "a testcase without a name must not validate")
		bad = []byte(`<?xml version="1.0"?><testsuites><testsuite name="x" tests="1"><system-out/><testcase name="n"/></testsuite></testsuites>`)
		assert.Error(t, validate(t, bad), "testcases after system-out must not validate")
	})
}

type schemaErr struct{ out string }

func (e *schemaErr) Error() string { return "xmllint: " + e.out }

func TestWriteJUnitFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junit.xml")
	require.NoError(t, WriteJUnitFile(path, fixtureMatrix(t), JUnitOptions{Name: "nightly"}))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(data, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)))
	assert.Contains(t, string(data), `<testsuites name="nightly"`)
	assert.Equal(t, 2*len(fixtureCases)+len(fixtureCases)+4+4, bytes.Count(data, []byte("<testcase ")))
}

package reports

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// advisoryRun is a run whose only non-pass is an advisory observation.
func advisoryRun(t *testing.T) *Run {
	t.Helper()
	r := fixtureRun(t, fixtureOpts{label: "adv", url: "ftp://127.0.0.1:2121", conform: true, healthy: true})
	c := &r.Conformance.Cases[0]
	c.ID, c.RFC, c.Section, c.Level = "rfc2577/8/pasv-foreign-ip-no-disturb", "2577", "8", "SHOULD"
	c.Title = "a foreign connection attempt does not disturb the legitimate transfer"
	c.Outcome = Advisory
	c.Expected = "the owner's transfer to complete"
	c.Actual = "RETR answered \"425 stolen\""
	r.Conformance.Recount()
	return r
}

func TestAdvisoryCountedNeverFailing(t *testing.T) {
	r := advisoryRun(t)
	require.Equal(t, 1, r.Conformance.Totals.Advisory)
	require.Equal(t, 1, r.Conformance.Totals.Count(Advisory))
	require.Zero(t, r.Conformance.Totals.Fail)
	assert.Contains(t, Outcomes, Advisory)

	t.Run("junit: a passing testcase with a note", func(t *testing.T) {
		var buf bytes.Buffer
		require.NoError(t, WriteJUnit(&buf, []*Run{r}, JUnitOptions{}))
		var d struct {
			jCounts
			Suites []struct {
				Cases []struct {
					Name      string `xml:"name,attr"`
					Status    string `xml:"status,attr"`
					Failure   *jMsg  `xml:"failure"`
					Error     *jMsg  `xml:"error"`
					Skipped   *jMsg  `xml:"skipped"`
					SystemOut string `xml:"system-out"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		require.NoError(t, xml.Unmarshal(buf.Bytes(), &d))
		assert.Zero(t, d.Failures)
		assert.Zero(t, d.Errors)
		found := false
		for _, s := range d.Suites {
			for _, c := range s.Cases {
				if c.Name != "rfc2577/8/pasv-foreign-ip-no-disturb" {
					continue
				}
				found = true
				assert.Nil(t, c.Failure)
				assert.Nil(t, c.Error)
				assert.Nil(t, c.Skipped)
				assert.Equal(t, "advisory", c.Status)
				assert.Contains(t, c.SystemOut, "advisory:")
				assert.Contains(t, c.SystemOut, "425 stolen")
			}
		}
		require.True(t, found)
	})
	t.Run("markdown: listed apart from failures", func(t *testing.T) {
		md := renderMarkdown(t, []*Run{r}, MarkdownOptions{})
		assert.Contains(t, md, "all passed")
		assert.Contains(t, md, "### Advisories (1, not failures)")
		assert.Contains(t, md, "pasv-foreign-ip-no-disturb")
		assert.NotContains(t, md, "### Failures")
	})
	t.Run("html: shown with its own symbol and opened", func(t *testing.T) {
		doc := renderHTML(t, []*Run{r}, HTMLOptions{})
		assert.Contains(t, doc, "o-advisory")
		assert.True(t, strings.Contains(doc, "◆"))
	})
}

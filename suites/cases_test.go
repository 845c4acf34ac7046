package suites

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCasesAreWellFormed(t *testing.T) {
	all := All()
	require.GreaterOrEqual(t, len(all), 150)
	seen := map[string]bool{}
	idRE := regexp.MustCompile(`^rfc\d+/[0-9.]+/[a-z0-9-]+$`)
	for _, c := range all {
		assert.NoError(t, c.validate())
		assert.Regexp(t, idRE, c.ID)
		assert.False(t, seen[c.ID], "duplicate ID %s", c.ID)
		seen[c.ID] = true
	}
}

func TestAllIsFresh(t *testing.T) {
	a := All()
	a[0].Title = "changed"
	assert.NotEqual(t, "changed", All()[0].Title)
}

// rfcDir finds ../shared/rfc beside the repository root (in CI, shared/ is copied beside the clone).
func rfcDir(t *testing.T) string {
	wd, err := os.Getwd()
	require.NoError(t, err)
	for d := wd; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			p := filepath.Join(filepath.Dir(d), "shared", "rfc")
			if _, err := os.Stat(p); err != nil {
				t.Skipf("RFC texts not found at %s", p)
			}
			return p
		}
	}
	t.Skip("repository root not found")
	return ""
}

var spaces = regexp.MustCompile(`\s+`)

// pageBreak is an RFC page footer, form feed and the next page's header: a sentence that runs
// across a page break is quoted without them.
var pageBreak = regexp.MustCompile(`\n[^\n]*\[Page \d+\][ \t]*\n\s*RFC ?\d+[^\n]*\n`)

func normalize(s string) string { return strings.TrimSpace(spaces.ReplaceAllString(s, " ")) }

// TestRequirementsQuoteTheRFC: every Requirement appears verbatim (whitespace aside) in the RFC it
// cites.
func TestRequirementsQuoteTheRFC(t *testing.T) {
	dir := rfcDir(t)
	texts := map[string]string{}
	for _, c := range All() {
		text, ok := texts[c.RFC]
		if !ok {
			b, err := os.ReadFile(filepath.Join(dir, "rfc"+c.RFC+".txt"))
			require.NoError(t, err, c.ID)
			text = normalize(pageBreak.ReplaceAllString(string(b), "\n"))
			texts[c.RFC] = text
		}
		if !strings.Contains(text, normalize(c.Requirement)) {
			t.Errorf("%s: requirement not found verbatim in rfc%s.txt: %q", c.ID, c.RFC, c.Requirement)
		}
	}
}

// TestRequirementsAreNotLeadIns: a quote ending in ":" is the lead-in of a list, whose keyword binds
// the items; a case must quote the item it checks along with it.
func TestRequirementsAreNotLeadIns(t *testing.T) {
	for _, c := range All() {
		assert.False(t, strings.HasSuffix(strings.TrimSpace(c.Requirement), ":"), "%s quotes a lead-in: %q", c.ID, c.Requirement)
	}
}

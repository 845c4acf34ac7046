package action

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// TestCIExamplesUseTheDocumentedInputs keeps docs/ci in step with action.yml: every input an
// example passes is one the action declares, every output it reads is one the action sets.
func TestCIExamplesUseTheDocumentedInputs(t *testing.T) {
	root := repoRoot(t)
	a := readAction(t, filepath.Join(root, "action.yml"))
	b, err := os.ReadFile(filepath.Join(root, "docs", "ci", "github-actions.yml"))
	require.NoError(t, err)
	var wf struct {
		Jobs map[string]struct {
			Services map[string]struct {
				Image string `yaml:"image"`
			} `yaml:"services"`
			Steps []struct {
				ID   string            `yaml:"id"`
				Uses string            `yaml:"uses"`
				With map[string]string `yaml:"with"`
				Run  string            `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	require.NoError(t, yaml.Unmarshal(b, &wf))
	uses, ids := 0, map[string]bool{}
	for _, job := range wf.Jobs {
		require.NotEmpty(t, job.Services, "the server under test runs as a service container")
		for _, s := range job.Steps {
			if !strings.HasPrefix(s.Uses, "ftpspec/ftpspec@") {
				continue
			}
			uses++
			ids[s.ID] = true
			for k := range s.With {
				assert.Contains(t, a.Inputs, k, "docs/ci/github-actions.yml passes input %q", k)
			}
			assert.Contains(t, []string{"conform", "load", "bench"}, s.With["command"])
			assert.NotEmpty(t, s.With["target"])
		}
	}
	assert.GreaterOrEqual(t, uses, 1)
	for _, m := range regexp.MustCompile(`steps\.([\w-]+)\.outputs\.([\w-]+)`).FindAllStringSubmatch(string(b), -1) {
		if ids[m[1]] {
			assert.Contains(t, a.Outputs, m[2], "docs/ci/github-actions.yml reads output %q", m[2])
		}
	}

	g, err := os.ReadFile(filepath.Join(root, "docs", "ci", ".gitlab-ci.yml"))
	require.NoError(t, err)
	var gl map[string]any
	require.NoError(t, yaml.Unmarshal(g, &gl))
	job, ok := gl["ftp-conformance"].(map[string]any)
	require.True(t, ok, "the GitLab example has the ftp-conformance job")
	junit := job["artifacts"].(map[string]any)["reports"].(map[string]any)["junit"]
	script := strings.Join(toStrings(job["script"]), "\n")
	assert.Contains(t, script, "--junit "+junit.(string), "the JUnit report GitLab collects is the one ftpspec writes")
	assert.Contains(t, strings.Join(toStrings(job["before_script"]), "\n"), "sha256sum", "the downloaded release is checked")
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

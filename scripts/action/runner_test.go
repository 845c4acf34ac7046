package action

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// The test runs action.yml the way GitHub's runner runs a composite action, for the parts this
// action uses: each step's env with ${{ }} expressions evaluated, `bash --noprofile --norc -eo
// pipefail` on the step's script, a fresh $GITHUB_OUTPUT file per step read back into
// steps.<id>.outputs, `if:` conditions on step outputs, and the action's outputs evaluated at the
// end. An expression or a step kind it does not know fails the test, so the simulation cannot
// silently drift from the file it simulates.

type actionFile struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Author      string `yaml:"author"`
	Branding    struct {
		Icon  string `yaml:"icon"`
		Color string `yaml:"color"`
	} `yaml:"branding"`
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Required    bool   `yaml:"required"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []step `yaml:"steps"`
	} `yaml:"runs"`
}

type step struct {
	ID               string            `yaml:"id"`
	If               string            `yaml:"if"`
	Uses             string            `yaml:"uses"`
	With             map[string]string `yaml:"with"`
	Shell            string            `yaml:"shell"`
	Env              map[string]string `yaml:"env"`
	Run              string            `yaml:"run"`
	WorkingDirectory string            `yaml:"working-directory"`
}

func readAction(t *testing.T, file string) actionFile {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	var a actionFile
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&a), "%s decodes strictly", file)
	return a
}

// runner is one simulated job: the runner's environment and what the steps left behind.
type runner struct {
	t          *testing.T
	action     actionFile
	actionPath string            // github.action_path: the repository root
	actionRef  string            // github.action_ref
	workspace  string            // github.workspace
	env        map[string]string // RUNNER_*, GITHUB_STEP_SUMMARY and what a job has
	inputs     map[string]string
	steps      map[string]map[string]string // steps.<id>.outputs
	log        strings.Builder
	skipped    []string // uses: steps the simulation did not run, and why
}

// result is what a workflow sees after the action ran.
type result struct {
	failed  bool // a step exited non-zero
	code    int  // that step's exit code
	outputs map[string]string
	summary string
	log     string
}

var exprRE = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

func (r *runner) eval(expr string) string {
	r.t.Helper()
	return exprRE.ReplaceAllStringFunc(expr, func(m string) string {
		ref := exprRE.FindStringSubmatch(m)[1]
		parts := strings.Split(ref, ".")
		switch {
		case len(parts) == 2 && parts[0] == "inputs":
			in, ok := r.action.Inputs[parts[1]]
			require.True(r.t, ok, "expression %s names an input action.yml does not declare", m)
			if v, ok := r.inputs[parts[1]]; ok {
				return v
			}
			return in.Default
		case ref == "github.action_path":
			return r.actionPath
		case ref == "github.action_ref":
			return r.actionRef
		case ref == "github.workspace":
			return r.workspace
		case len(parts) == 4 && parts[0] == "steps" && parts[2] == "outputs":
			return r.steps[parts[1]][parts[3]]
		}
		r.t.Fatalf("the simulated runner does not know the expression %s", m)
		return ""
	})
}

var condRE = regexp.MustCompile(`^steps\.([\w-]+)\.outputs\.([\w-]+) == '([^']*)'$`)

func (r *runner) condition(cond string) bool {
	r.t.Helper()
	if cond == "" {
		return true
	}
	m := condRE.FindStringSubmatch(strings.TrimSpace(cond))
	require.NotNil(r.t, m, "the simulated runner does not know the condition %q", cond)
	return r.steps[m[1]][m[2]] == m[3]
}

// run runs the action's steps in order, as a job would, until one fails.
func (r *runner) run() result {
	r.t.Helper()
	require.Equal(r.t, "composite", r.action.Runs.Using)
	for k := range r.inputs {
		require.Contains(r.t, r.action.Inputs, k, "the test passes an input action.yml does not declare")
	}
	res := result{outputs: map[string]string{}}
	for i, s := range r.action.Runs.Steps {
		if !r.condition(s.If) {
			continue
		}
		if s.Uses != "" {
			// The one action this composite uses sets up Go; this machine has Go on PATH.
			require.True(r.t, strings.HasPrefix(s.Uses, "actions/setup-go@"), "step %d uses %s, which the simulation cannot stand in for", i, s.Uses)
			_, err := exec.LookPath("go")
			require.NoError(r.t, err, "setup-go stands for the go on PATH")
			r.skipped = append(r.skipped, s.Uses+" (go on PATH)")
			continue
		}
		require.Equal(r.t, "bash", s.Shell, "step %d", i)
		code := r.runStep(i, s)
		if code != 0 {
			res.failed, res.code = true, code
			break
		}
	}
	for name, o := range r.action.Outputs {
		res.outputs[name] = r.eval(o.Value)
	}
	summary, err := os.ReadFile(r.env["GITHUB_STEP_SUMMARY"])
	require.NoError(r.t, err)
	res.summary, res.log = string(summary), r.log.String()
	return res
}

func (r *runner) runStep(i int, s step) int {
	r.t.Helper()
	dir := r.env["RUNNER_TEMP"]
	script := filepath.Join(dir, fmt.Sprintf("step-%d.sh", i))
	require.NoError(r.t, os.WriteFile(script, []byte(r.eval(s.Run)), 0o644))
	outFile := filepath.Join(dir, fmt.Sprintf("output-%d", i))
	require.NoError(r.t, os.WriteFile(outFile, nil, 0o644))

	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
	cmd.Dir = r.workspace
	if s.WorkingDirectory != "" {
		cmd.Dir = r.eval(s.WorkingDirectory)
	}
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "GITHUB_OUTPUT=" + outFile}
	for _, k := range []string{"GOCACHE", "GOPATH", "GOMODCACHE", "GOFLAGS", "GOTOOLCHAIN", "GOPROXY"} {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	for k, v := range r.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	for k, v := range s.Env {
		cmd.Env = append(cmd.Env, k+"="+r.eval(v))
	}
	out, err := cmd.CombinedOutput()
	fmt.Fprintf(&r.log, "--- step %d %s\n%s", i, s.ID, out)
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(r.t, err)
	}
	if s.ID != "" {
		r.steps[s.ID] = parseOutputs(r.t, outFile)
	}
	return code
}

// parseOutputs reads a $GITHUB_OUTPUT file: name=value lines and name<<DELIMITER blocks.
func parseOutputs(t *testing.T, file string) map[string]string {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var val []string
			for sc.Scan() && sc.Text() != delim {
				val = append(val, sc.Text())
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		name, val, ok := strings.Cut(line, "=")
		require.True(t, ok, "%s: line %q is neither name=value nor name<<DELIMITER", file, line)
		out[name] = val
	}
	require.NoError(t, sc.Err())
	return out
}

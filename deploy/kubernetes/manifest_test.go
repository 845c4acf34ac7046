// Package kubernetes holds the manifests that run ftpspec on a cluster; its test decodes them
// strictly, so a typo in a field name fails here rather than on someone's cluster.
package kubernetes

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/ftpspec/ftpspec/reference"
)

// The structs mirror exactly the fields the manifest uses: decoding with KnownFields rejects any
// other, the way the API server would reject a misspelt one.
type meta struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels"`
}

type header struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
}

type pvc struct {
	header   `yaml:",inline"`
	Metadata meta `yaml:"metadata"`
	Spec     struct {
		AccessModes []string `yaml:"accessModes"`
		Resources   struct {
			Requests map[string]string `yaml:"requests"`
		} `yaml:"resources"`
	} `yaml:"spec"`
}

type envVar struct {
	Name      string `yaml:"name"`
	Value     string `yaml:"value"`
	ValueFrom *struct {
		SecretKeyRef *struct {
			Name string `yaml:"name"`
			Key  string `yaml:"key"`
		} `yaml:"secretKeyRef"`
		FieldRef *struct {
			FieldPath string `yaml:"fieldPath"`
		} `yaml:"fieldRef"`
	} `yaml:"valueFrom"`
}

type container struct {
	Name            string   `yaml:"name"`
	Image           string   `yaml:"image"`
	ImagePullPolicy string   `yaml:"imagePullPolicy"`
	Command         []string `yaml:"command"`
	Args            []string `yaml:"args"`
	Env             []envVar `yaml:"env"`
	Resources       struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type job struct {
	header   `yaml:",inline"`
	Metadata meta `yaml:"metadata"`
	Spec     struct {
		CompletionMode        string `yaml:"completionMode"`
		Completions           int    `yaml:"completions"`
		Parallelism           int    `yaml:"parallelism"`
		BackoffLimit          *int   `yaml:"backoffLimit"`
		BackoffLimitPerIndex  *int   `yaml:"backoffLimitPerIndex"`
		ActiveDeadlineSeconds int    `yaml:"activeDeadlineSeconds"`
		Template              struct {
			Metadata meta `yaml:"metadata"`
			Spec     struct {
				RestartPolicy   string `yaml:"restartPolicy"`
				SecurityContext struct {
					RunAsNonRoot bool `yaml:"runAsNonRoot"`
					RunAsUser    int  `yaml:"runAsUser"`
					RunAsGroup   int  `yaml:"runAsGroup"`
					FSGroup      int  `yaml:"fsGroup"`
				} `yaml:"securityContext"`
				Containers []container `yaml:"containers"`
				Volumes    []struct {
					Name                  string `yaml:"name"`
					PersistentVolumeClaim struct {
						ClaimName string `yaml:"claimName"`
					} `yaml:"persistentVolumeClaim"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// decodeStrict decodes one document into v, refusing unknown fields.
func decodeStrict(doc []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	dec.KnownFields(true)
	return dec.Decode(v)
}

func documents(t *testing.T, file string) map[string][]byte {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	docs := map[string][]byte{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		var h struct {
			Kind string `yaml:"kind"`
		}
		require.NoError(t, n.Decode(&h))
		out, err := yaml.Marshal(&n)
		require.NoError(t, err)
		require.NotContains(t, docs, h.Kind, "one %s per file", h.Kind)
		docs[h.Kind] = out
	}
	return docs
}

func TestLoadJobIsAnIndexedJobOfShards(t *testing.T) {
	docs := documents(t, "ftpspec-load-job.yaml")
	require.Contains(t, docs, "Job")
	require.Contains(t, docs, "PersistentVolumeClaim")

	var claim pvc
	require.NoError(t, decodeStrict(docs["PersistentVolumeClaim"], &claim))
	assert.Equal(t, "v1", claim.APIVersion)
	assert.Contains(t, claim.Spec.AccessModes, "ReadWriteMany", "every shard writes to the one volume")

	var j job
	require.NoError(t, decodeStrict(docs["Job"], &j))
	assert.Equal(t, "batch/v1", j.APIVersion)
	assert.Equal(t, "Indexed", j.Spec.CompletionMode)
	require.Positive(t, j.Spec.Completions)
	assert.Equal(t, j.Spec.Completions, j.Spec.Parallelism, "all shards run at once")
	assert.Equal(t, "Never", j.Spec.Template.Spec.RestartPolicy, "a shard is not re-run behind the merge's back")

	require.NotNil(t, j.Spec.BackoffLimitPerIndex, "a shard that finds a fault exits 1; the others must go on")
	assert.Zero(t, *j.Spec.BackoffLimitPerIndex, "a failed shard is not re-run: its JSON is the finding")
	sc := j.Spec.Template.Spec.SecurityContext
	assert.True(t, sc.RunAsNonRoot)
	assert.Equal(t, imageUser, sc.RunAsUser, "the image's user")
	assert.Equal(t, imageUser, sc.FSGroup, "the results volume is writable by the image's user")

	c := loadContainer(t, j)
	image, err := makefileImage("../../Makefile")
	require.NoError(t, err)
	assert.Equal(t, image+":latest", c.Image, "the image `make image` builds")
	assert.Empty(t, c.Command, "the image has no shell: the container runs its ENTRYPOINT, /ftpspec")
	require.NotEmpty(t, c.Args)
	assert.Equal(t, "load", c.Args[0])
	assert.Contains(t, c.Args, "--shard-from-env=JOB_COMPLETION_INDEX", "each pod takes its share from its completion index")
	assert.Contains(t, c.Args, "--shards=$(SHARDS)")
	assert.Contains(t, c.Args, "--json=/results/shard-$(JOB_COMPLETION_INDEX).json")

	env := map[string]envVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	require.NotNil(t, env["JOB_COMPLETION_INDEX"].ValueFrom)
	require.NotNil(t, env["JOB_COMPLETION_INDEX"].ValueFrom.FieldRef)
	assert.Equal(t, "metadata.annotations['batch.kubernetes.io/job-completion-index']", env["JOB_COMPLETION_INDEX"].ValueFrom.FieldRef.FieldPath)
	shards, err := strconv.Atoi(env["SHARDS"].Value)
	require.NoError(t, err)
	assert.Equal(t, j.Spec.Completions, shards, "SHARDS matches completions")
	sessions, err := strconv.Atoi(env["SESSIONS"].Value)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, sessions, shards, "no shard is empty")
	require.NotNil(t, env["FTPSPEC_TARGET"].ValueFrom, "the target URL, with its password, comes from a Secret")
	require.NotNil(t, env["FTPSPEC_TARGET"].ValueFrom.SecretKeyRef)

	require.Len(t, c.VolumeMounts, 1)
	assert.Equal(t, "/results", c.VolumeMounts[0].MountPath)
	require.Len(t, j.Spec.Template.Spec.Volumes, 1)
	v := j.Spec.Template.Spec.Volumes[0]
	assert.Equal(t, c.VolumeMounts[0].Name, v.Name)
	assert.Equal(t, claim.Metadata.Name, v.PersistentVolumeClaim.ClaimName)
}

// imageUser is the numeric user the Containerfile runs as.
const imageUser = 65532

func loadContainer(t *testing.T, j job) container {
	t.Helper()
	require.Len(t, j.Spec.Template.Spec.Containers, 1)
	return j.Spec.Template.Spec.Containers[0]
}

// makefileImage reads the default image name (IMAGE ?= …) from the Makefile.
func makefileImage(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	m := regexp.MustCompile(`(?m)^IMAGE\s*\?=\s*(\S+)\s*$`).FindSubmatch(b)
	if m == nil {
		return "", errors.New(file + ": no IMAGE ?= line")
	}
	return string(m[1]), nil
}

// expand does what the kubelet does to a container's args: $(VAR) becomes the variable's value
// when the container defines it, $$ is a literal $, and an undefined reference stays as written.
func expand(arg string, env map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(arg); i++ {
		if arg[i] != '$' || i+1 >= len(arg) {
			b.WriteByte(arg[i])
			continue
		}
		if arg[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		if arg[i+1] == '(' {
			if end := strings.IndexByte(arg[i+2:], ')'); end >= 0 {
				name := arg[i+2 : i+2+end]
				if v, ok := env[name]; ok {
					b.WriteString(v)
					i += 2 + end
					continue
				}
			}
		}
		b.WriteByte(arg[i])
	}
	return b.String()
}

func TestExpand(t *testing.T) {
	env := map[string]string{"A": "1", "B": "two"}
	for in, want := range map[string]string{
		"--x=$(A)":        "--x=1",
		"$(A)/$(B)":       "1/two",
		"$$(A)":           "$(A)",
		"$(UNDEFINED)":    "$(UNDEFINED)",
		"cost $5":         "cost $5",
		"unclosed $(A":    "unclosed $(A",
		"/r/shard-$(A).j": "/r/shard-1.j",
	} {
		assert.Equal(t, want, expand(in, env), in)
	}
}

// TestPodCommandLineRuns runs the container's command line as one pod of the Job would, after the
// kubelet's $(VAR) expansion: the ftpspec binary with no shell around it, completion index 2,
// against a reference server standing in for the target (sessions scaled down, /results a
// temporary directory). It proves the shell-free job starts, takes shard 3/4 and writes its file.
func TestPodCommandLineRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the ftpspec binary")
	}
	docs := documents(t, "ftpspec-load-job.yaml")
	var j job
	require.NoError(t, decodeStrict(docs["Job"], &j))
	c := loadContainer(t, j)

	dir := t.TempDir()
	bin := filepath.Join(dir, "ftpspec")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/ftpspec/ftpspec/cmd/ftpspec").CombinedOutput()
	require.NoError(t, err, "%s", out)

	srv, err := reference.New(reference.Config{Listen: "127.0.0.1:0", PasvPorts: reference.PortRange{Lo: 24100, Hi: 24399}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })

	results := filepath.Join(dir, "results")
	require.NoError(t, os.Mkdir(results, 0o755))
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	env["JOB_COMPLETION_INDEX"] = "2" // what the fieldRef gives the third pod
	env["FTPSPEC_TARGET"] = srv.URL() // what the Secret holds
	env["SESSIONS"] = "8"             // small enough for a unit test
	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		args[i] = strings.Replace(expand(a, env), c.VolumeMounts[0].MountPath, results, 1)
		assert.NotContains(t, args[i], "$(", "every reference in %q is defined in the container's env", a)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = nil // the container's environment and nothing else
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "ftpspec %s\n%s", strings.Join(args, " "), out)

	var run struct {
		Load struct {
			Shard struct {
				Index, Count int
			} `json:"shard"`
			Transfers struct {
				Attempted, OK int
			} `json:"transfers"`
		} `json:"load"`
	}
	b, err := os.ReadFile(filepath.Join(results, "shard-2.json"))
	require.NoError(t, err, "the pod writes /results/shard-$(JOB_COMPLETION_INDEX).json")
	require.NoError(t, json.Unmarshal(b, &run))
	assert.Equal(t, 3, run.Load.Shard.Index, "completion index 2 is shard 3")
	assert.Equal(t, 4, run.Load.Shard.Count)
	assert.Equal(t, 2, run.Load.Transfers.Attempted, "8 sessions over 4 shards, one transfer each")
	assert.Equal(t, run.Load.Transfers.Attempted, run.Load.Transfers.OK)
}

func TestStrictDecodingRejectsUnknownFields(t *testing.T) {
	var j job
	err := decodeStrict([]byte("apiVersion: batch/v1\nkind: Job\nspec:\n  completionMod: Indexed\n"), &j)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "completionMod")
}

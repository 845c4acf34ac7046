// Package kubernetes holds the manifests that run ftpspec on a cluster; its test decodes them
// strictly, so a typo in a field name fails here rather than on someone's cluster.
package kubernetes

import (
	"bytes"
	"errors"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
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
		SecretKeyRef struct {
			Name string `yaml:"name"`
			Key  string `yaml:"key"`
		} `yaml:"secretKeyRef"`
	} `yaml:"valueFrom"`
}

type container struct {
	Name            string   `yaml:"name"`
	Image           string   `yaml:"image"`
	ImagePullPolicy string   `yaml:"imagePullPolicy"`
	Command         []string `yaml:"command"`
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
		BackoffLimit          int    `yaml:"backoffLimit"`
		ActiveDeadlineSeconds int    `yaml:"activeDeadlineSeconds"`
		Template              struct {
			Metadata meta `yaml:"metadata"`
			Spec     struct {
				RestartPolicy string      `yaml:"restartPolicy"`
				Containers    []container `yaml:"containers"`
				Volumes       []struct {
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

	require.Len(t, j.Spec.Template.Spec.Containers, 1)
	c := j.Spec.Template.Spec.Containers[0]
	script := strings.Join(c.Command, " ")
	assert.Contains(t, script, "JOB_COMPLETION_INDEX", "each pod takes its share from its completion index")
	assert.Regexp(t, `i=\$\(\(JOB_COMPLETION_INDEX\+1\)\)`, script, "--shard is 1-based")
	assert.Contains(t, script, `--shard "$i/$SHARDS"`)
	assert.Regexp(t, `ftpspec load .*--json "/results/shard-\$i\.json"`, regexp.MustCompile(`\\\n\s*`).ReplaceAllString(script, ""))

	env := map[string]envVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	shards, err := strconv.Atoi(env["SHARDS"].Value)
	require.NoError(t, err)
	assert.Equal(t, j.Spec.Completions, shards, "SHARDS matches completions")
	sessions, err := strconv.Atoi(env["SESSIONS"].Value)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, sessions, shards, "no shard is empty")
	require.NotNil(t, env["FTPSPEC_TARGET"].ValueFrom, "the target URL, with its password, comes from a Secret")

	require.Len(t, c.VolumeMounts, 1)
	assert.Equal(t, "/results", c.VolumeMounts[0].MountPath)
	require.Len(t, j.Spec.Template.Spec.Volumes, 1)
	v := j.Spec.Template.Spec.Volumes[0]
	assert.Equal(t, c.VolumeMounts[0].Name, v.Name)
	assert.Equal(t, claim.Metadata.Name, v.PersistentVolumeClaim.ClaimName)
}

func TestStrictDecodingRejectsUnknownFields(t *testing.T) {
	var j job
	err := decodeStrict([]byte("apiVersion: batch/v1\nkind: Job\nspec:\n  completionMod: Indexed\n"), &j)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "completionMod")
}

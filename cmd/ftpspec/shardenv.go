package main

import (
	"fmt"
	"strconv"
	"strings"
)

// shardFromEnv turns a 0-based index held in an environment variable (Kubernetes sets
// JOB_COMPLETION_INDEX in every pod of an Indexed Job) and a shard count into the 1-based "i/n"
// that --shard takes. It lets a container without a shell, such as ftpspec's FROM scratch image,
// run its share of a sharded load run with no wrapper script.
func shardFromEnv(name string, shards int, getenv func(string) string) (string, error) {
	if shards < 1 {
		return "", fmt.Errorf("--shard-from-env %s needs --shards N (N ≥ 1, the number of shards)", name)
	}
	raw := strings.TrimSpace(getenv(name))
	if raw == "" {
		return "", fmt.Errorf("--shard-from-env %s: the environment variable is not set (Kubernetes sets JOB_COMPLETION_INDEX in an Indexed Job's pods)", name)
	}
	i, err := strconv.Atoi(raw)
	if err != nil || i < 0 || i >= shards {
		return "", fmt.Errorf("--shard-from-env %s: value %q is not a shard index 0..%d (--shards %d)", name, raw, shards-1, shards)
	}
	return fmt.Sprintf("%d/%d", i+1, shards), nil
}

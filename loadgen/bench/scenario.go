package bench

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ftpspec/ftpspec/loadgen"
)

// The bench: section of a scenario file, as strict as the rest of it: every key known, each
// once, each value of the right kind; errors name the file, line and key.
//
//	bench:
//	  rounds: 3
//	  workloads: [ceiling, retr, stor, small, logins, idle]
//	  targets:
//	    - {name: vsftpd, url: "ftp://test:test@127.0.0.1:2131", pid: 1234}
//	  big_size: 1GiB
//	  small_sessions: 100
//	  small_transfers: 10
//	  small_size: 64KiB
//	  logins: 300
//	  login_parallel: 8
//	  idle_sessions: 200
//	  timeout: 60s

// SectionKeys lists the keys of a bench: section.
var SectionKeys = []string{"rounds", "workloads", "targets", "big_size", "ceiling_size", "small_sessions",
	"small_transfers", "small_size", "logins", "login_parallel", "idle_sessions", "timeout"}

// FromScenario reads the bench: section of a scenario over cfg. A scenario without one leaves
// cfg as it is. Errors are *loadgen.FieldError, several joined.
func FromScenario(sc *loadgen.Scenario, cfg *Config) error {
	n := &sc.Bench
	if n.Kind == 0 {
		return nil
	}
	ferr := func(line int, key, format string, args ...any) error {
		field := "bench"
		if key != "" {
			field += "." + key
		}
		return &loadgen.FieldError{File: sc.File, Line: line, Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	if n.Kind != yaml.MappingNode {
		return ferr(n.Line, "", "want a mapping of bench settings (keys: %s)", strings.Join(SectionKeys, ", "))
	}
	var errs []error
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if seen[key] {
			errs = append(errs, ferr(k.Line, key, "given twice"))
			continue
		}
		seen[key] = true
		var err error
		switch key {
		case "rounds":
			err = v.Decode(&cfg.Rounds)
		case "workloads":
			var ws []string
			if err = v.Decode(&ws); err == nil {
				cfg.Workloads = ws
			}
		case "targets":
			err = decodeTargets(v, cfg, ferr)
		case "big_size":
			err = decodeSize(v, &cfg.BigSize)
		case "ceiling_size":
			err = decodeSize(v, &cfg.CeilingSize)
		case "small_size":
			err = decodeSize(v, &cfg.SmallSize)
		case "small_sessions":
			err = v.Decode(&cfg.SmallSessions)
		case "small_transfers":
			err = v.Decode(&cfg.SmallTransfers)
		case "logins":
			err = v.Decode(&cfg.Logins)
		case "login_parallel":
			err = v.Decode(&cfg.LoginParallel)
		case "idle_sessions":
			err = v.Decode(&cfg.IdleSessions)
		case "timeout":
			var s string
			if err = v.Decode(&s); err == nil {
				cfg.Timeout, err = time.ParseDuration(s)
			}
		default:
			errs = append(errs, ferr(k.Line, key, "unknown key (known: %s)", strings.Join(SectionKeys, ", ")))
			continue
		}
		if err != nil {
			var fe *loadgen.FieldError
			if errors.As(err, &fe) {
				errs = append(errs, err)
			} else {
				errs = append(errs, ferr(v.Line, key, "%s", yamlProblem(err)))
			}
		}
	}
	return errors.Join(errs...)
}

func decodeTargets(v *yaml.Node, cfg *Config, ferr func(int, string, string, ...any) error) error {
	if v.Kind != yaml.SequenceNode {
		return ferr(v.Line, "targets", "want a list of {name, url, pid}")
	}
	var errs []error
	for _, item := range v.Content {
		if item.Kind != yaml.MappingNode {
			errs = append(errs, ferr(item.Line, "targets", "want {name: NAME, url: URL, pid: PID}"))
			continue
		}
		var t Target
		seen := map[string]bool{}
		for i := 0; i+1 < len(item.Content); i += 2 {
			k, val := item.Content[i], item.Content[i+1]
			if seen[k.Value] {
				errs = append(errs, ferr(k.Line, "targets."+k.Value, "given twice"))
				continue
			}
			seen[k.Value] = true
			var err error
			switch k.Value {
			case "name":
				err = val.Decode(&t.Name)
			case "url":
				err = val.Decode(&t.URL)
			case "pid":
				err = val.Decode(&t.PID)
			default:
				errs = append(errs, ferr(k.Line, "targets."+k.Value, "unknown key (known: name, url, pid)"))
				continue
			}
			if err != nil {
				errs = append(errs, ferr(val.Line, "targets."+k.Value, "%s", yamlProblem(err)))
			}
		}
		if t.Name == "" || t.URL == "" {
			errs = append(errs, ferr(item.Line, "targets", "a target needs a name and a url"))
			continue
		}
		cfg.Targets = append(cfg.Targets, t)
	}
	return errors.Join(errs...)
}

func decodeSize(v *yaml.Node, dst *int64) error {
	var s string
	if err := v.Decode(&s); err != nil {
		return err
	}
	n, err := loadgen.ParseSize(s)
	if err != nil {
		return err
	}
	*dst = n
	return nil
}

// yamlProblem strips yaml.v3's prefixes so the message reads after "file:line: key:".
func yamlProblem(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "yaml: ")
	s = strings.TrimPrefix(s, "unmarshal errors:\n")
	if i := strings.Index(s, ": "); strings.HasPrefix(strings.TrimSpace(s), "line ") && i > 0 {
		s = s[i+2:]
	}
	return strings.TrimSpace(s)
}

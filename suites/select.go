package suites

import (
	"fmt"
	"path"
)

// Select returns the cases whose IDs match any of the run globs (all cases when run is empty)
// and none of the skip globs, in their original order. Globs are path.Match patterns on IDs, so
// "rfc959/*/*" selects every RFC 959 case and "*/*/pasv-*" every PASV case. A malformed glob is
// an error that names it; so is a run glob that matches no case (a typo would otherwise run
// nothing and pass).
func Select(cases []Case, run, skip []string) ([]Case, error) {
	for _, g := range append(append([]string(nil), run...), skip...) {
		if _, err := path.Match(g, ""); err != nil {
			return nil, fmt.Errorf("glob %q: %w", g, err)
		}
	}
	matched := make([]bool, len(run))
	var out []Case
	for _, c := range cases {
		in := len(run) == 0
		for i, g := range run {
			if ok, _ := path.Match(g, c.ID); ok {
				in, matched[i] = true, true
			}
		}
		if !in {
			continue
		}
		skipped := false
		for _, g := range skip {
			if ok, _ := path.Match(g, c.ID); ok {
				skipped = true
				break
			}
		}
		if !skipped {
			out = append(out, c)
		}
	}
	for i, m := range matched {
		if !m {
			return nil, fmt.Errorf("--run %q matches no case", run[i])
		}
	}
	return out, nil
}

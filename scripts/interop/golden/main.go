// Command golden checks the interop runs against the golden verdicts of the real servers
// (suites/testdata/peers/<server>.yaml), regenerates those files, or prints the README's matrix
// summary from the runs. `make interop` runs it after scripts/interop.sh:
//
//	go run ./scripts/interop/golden                 # compare out/interop/NAME.json, NAME-tls.json with each golden file
//	go run ./scripts/interop/golden -update         # rewrite the golden files from the runs, keeping justifications
//	go run ./scripts/interop/golden -matrix         # the README's interop table, from the runs and golden files
//
// Exit status: 0 no change, 1 a verdict changed (or, with -update, a non-pass verdict lacks a
// justification), 2 a bad golden file or usage, 3 a run document is missing or unreadable.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ftpspec/ftpspec/internal/golden"
	"github.com/ftpspec/ftpspec/reports"
)

const (
	exitOK         = 0
	exitChanged    = 1
	exitBadInput   = 2
	exitIncomplete = 3
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("golden", flag.ContinueOnError)
	fl.SetOutput(stderr)
	dir := fl.String("golden", "suites/testdata/peers", "directory of the golden files (<peer>.yaml)")
	runs := fl.String("runs", "out/interop", "directory of the run documents (<peer>.json, <peer>-tls.json, <peer>-load.json)")
	peers := fl.String("peers", "", "space-separated peers to check (default: every golden file; with -update, every peer with a run)")
	update := fl.Bool("update", false, "rewrite the golden files from the runs, keeping the justifications of unchanged verdicts")
	matrix := fl.Bool("matrix", false, "print the README's interop matrix summary (Markdown) from the runs and golden files")
	if err := fl.Parse(args); err != nil {
		return exitBadInput
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "golden: unexpected argument %q\n", fl.Arg(0))
		return exitBadInput
	}
	names, err := peerNames(*dir, *runs, *peers, *update)
	if err != nil {
		fmt.Fprintln(stderr, "golden:", err)
		return exitBadInput
	}
	if *matrix {
		return printMatrix(stdout, stderr, *dir, *runs, names)
	}
	worst := exitOK
	for _, name := range names {
		var code int
		if *update {
			code = updateOne(stdout, stderr, *dir, *runs, name)
		} else {
			code = checkOne(stdout, stderr, *dir, *runs, name)
		}
		worst = max(worst, code)
	}
	return worst
}

// peerNames is the explicit list, or every golden file, or (updating) every peer with a run.
func peerNames(dir, runs, list string, update bool) ([]string, error) {
	if list = strings.TrimSpace(list); list != "" {
		return strings.Fields(list), nil
	}
	pattern := filepath.Join(dir, "*.yaml")
	if update {
		pattern = filepath.Join(runs, "*.json")
	}
	files, err := filepath.Glob(pattern)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range files {
		base := filepath.Base(f)
		if update {
			base = strings.TrimSuffix(base, ".json")
			if strings.HasSuffix(base, "-tls") || strings.HasSuffix(base, "-load") {
				continue
			}
		} else {
			base = strings.TrimSuffix(base, ".yaml")
		}
		names = append(names, base)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no peer found (%s)", pattern)
	}
	return names, nil
}

// observe reads NAME.json (the plain run) and, when present, NAME-tls.json (`--tls explicit`),
// as scripts/interop.sh names them.
func observe(runs, name string) (*golden.Observed, error) {
	var docs []golden.Source
	for _, f := range []struct{ file, tls string }{{name + ".json", "none"}, {name + "-tls.json", "explicit"}} {
		path := filepath.Join(runs, f.file)
		r, err := reports.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) && f.tls != "none" {
			continue
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, golden.Source{Path: path, TLS: f.tls, Run: r})
	}
	return golden.Observe(docs)
}

// loadBoth reads a server's golden file and its runs, and says on stderr (with the exit status)
// which of the two could not be had.
func loadBoth(stderr io.Writer, gf, runs, name string) (*golden.File, *golden.Observed, int) {
	g, err := golden.Load(gf)
	if err != nil {
		fmt.Fprintln(stderr, "golden:", err)
		return nil, nil, exitBadInput
	}
	o, err := observe(runs, name)
	if err != nil {
		fmt.Fprintf(stderr, "golden: %s: %v\n", name, err)
		return nil, nil, exitIncomplete
	}
	return g, o, exitOK
}

func checkOne(stdout, stderr io.Writer, dir, runs, name string) int {
	gf := filepath.Join(dir, name+".yaml")
	g, o, code := loadBoth(stderr, gf, runs, name)
	if code != exitOK {
		return code
	}
	changes := golden.Compare(g, o)
	if len(changes) == 0 {
		fmt.Fprintf(stdout, "golden: %s: %d verdicts as recorded in %s\n", name, len(o.Verdicts), gf)
		return exitOK
	}
	fmt.Fprintf(stdout, "golden: %s: %d change(s) against %s:\n", name, len(changes), gf)
	for _, c := range changes {
		fmt.Fprintln(stdout, "  "+strings.ReplaceAll(c.String(), "\n", "\n  "))
	}
	fmt.Fprintf(stdout, "golden: if the change is intended: GOLDEN_UPDATE=1 make interop, justify each non-pass verdict in %s and commit it with the change\n", gf)
	return exitChanged
}

func updateOne(stdout, stderr io.Writer, dir, runs, name string) int {
	gf := filepath.Join(dir, name+".yaml")
	old, err := golden.Load(gf)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		old = nil
	case err != nil:
		// A file that no longer parses would lose its justifications: refuse rather than overwrite.
		fmt.Fprintln(stderr, "golden:", err)
		return exitBadInput
	}
	o, err := observe(runs, name)
	if err != nil {
		fmt.Fprintf(stderr, "golden: %s: %v\n", name, err)
		return exitIncomplete
	}
	var before []golden.Change
	if old != nil {
		before = golden.Compare(old, o)
	}
	f, missing := golden.Update(old, name, o)
	b, err := golden.Encode(f)
	if err != nil {
		fmt.Fprintln(stderr, "golden:", err)
		return exitIncomplete
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(stderr, "golden:", err)
		return exitIncomplete
	}
	if err := reports.WriteFileAtomic(gf, b); err != nil {
		fmt.Fprintln(stderr, "golden:", err)
		return exitIncomplete
	}
	fmt.Fprintf(stdout, "golden: %s: wrote %s (%d verdicts, %d changed)\n", name, gf, len(o.Verdicts), len(before))
	for _, c := range before {
		fmt.Fprintln(stdout, "  "+strings.ReplaceAll(c.String(), "\n", "\n  "))
	}
	code := exitOK
	if f.Version == "" {
		fmt.Fprintf(stdout, "golden: %s: set version: (the server's version and package) in %s\n", name, gf)
		code = exitChanged
	}
	if len(missing) > 0 {
		fmt.Fprintf(stdout, "golden: %s: %d non-pass verdict(s) need a justification (why:) in %s:\n", name, len(missing), gf)
		for _, k := range missing {
			fmt.Fprintf(stdout, "  %s: %s\n", k, o.Verdicts[k].Outcome)
		}
		code = exitChanged
	}
	return code
}

// printMatrix prints one row per peer and TLS mode, counted from the runs, then each peer's
// failed cases, so the README's table comes from the runs and the golden files in one step. A
// verdict whose golden justification is marked DISPUTED (see AUDIT.md) is counted and flagged.
func printMatrix(stdout, stderr io.Writer, dir, runs string, names []string) int {
	type row struct {
		server, mode string
		totals       reports.Totals
		disputed     int
	}
	var rows []row
	var notes, loads []string
	used := map[reports.Outcome]bool{reports.Pass: true, reports.Fail: true, reports.Warn: true}
	for _, name := range names {
		g, o, code := loadBoth(stderr, filepath.Join(dir, name+".yaml"), runs, name)
		if code != exitOK {
			return code
		}
		server, _, _ := strings.Cut(g.Version, " (")
		why := g.Verdicts()
		failed := map[string][]string{} // case ID → the modes it failed under
		var order []string
		for _, m := range g.Modes {
			r := row{server: server, mode: runName(name, m.TLS)}
			for _, k := range sortedVerdictKeys(o.Verdicts) {
				if k.TLS != m.TLS {
					continue
				}
				v := o.Verdicts[k]
				r.totals.Add(v.Outcome)
				used[v.Outcome] = true
				if w, ok := why[k]; ok && w.Outcome == v.Outcome && strings.HasPrefix(w.Why, disputedMark) {
					r.disputed++
				}
				if v.Outcome == reports.Fail {
					if failed[k.ID] == nil {
						order = append(order, k.ID)
					}
					failed[k.ID] = append(failed[k.ID], m.TLS)
				}
			}
			rows = append(rows, r)
		}
		if len(order) > 0 {
			slices.Sort(order)
			items := make([]string, len(order))
			for i, id := range order {
				items[i] = fmt.Sprintf("`%s` (%s)", id, modesLabel(failed[id], len(g.Modes)))
				if w := why[golden.Key{TLS: failed[id][0], ID: id}]; strings.HasPrefix(w.Why, disputedMark) {
					items[i] += " *disputed*"
				}
			}
			notes = append(notes, fmt.Sprintf("- **%s**: %s", server, strings.Join(items, ", ")))
		}
		if l, err := reports.ReadFile(filepath.Join(runs, name+"-load.json")); err == nil && l.Load != nil {
			loads = append(loads, fmt.Sprintf("%s %s", server, loadSummary(l.Load)))
		}
	}
	var cols []reports.Outcome
	for _, oc := range reports.Outcomes {
		if used[oc] {
			cols = append(cols, oc)
		}
	}
	head := []string{"server", "control connection"}
	for _, c := range cols {
		head = append(head, string(c))
	}
	head = append(head, "of which disputed")
	fmt.Fprintf(stdout, "| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat("---|", len(head)))
	for _, r := range rows {
		cells := []string{r.server, r.mode}
		for _, c := range cols {
			cells = append(cells, fmt.Sprint(r.totals.Count(c)))
		}
		cells = append(cells, fmt.Sprint(r.disputed))
		fmt.Fprintf(stdout, "| %s |\n", strings.Join(cells, " | "))
	}
	if len(notes) > 0 {
		fmt.Fprintf(stdout, "\nFailed cases (each justified in %s/<server>.yaml; *disputed* ones are in AUDIT.md):\n\n", dir)
		fmt.Fprintln(stdout, strings.Join(notes, "\n"))
	}
	if len(loads) > 0 {
		fmt.Fprintf(stdout, "\nLoad runs: %s.\n", strings.Join(loads, "; "))
	}
	return exitOK
}

// disputedMark starts the justification of a verdict the audit found wrong (AUDIT.md).
const disputedMark = "DISPUTED"

func modeName(tls string) string {
	if tls == "none" {
		return "plain"
	}
	return "TLS " + tls
}

// exhaustSuffix names the run scripts/interop.sh makes of the range-exhaustion case alone, with
// --exhaust-max as large as the peer's range (NAME-exhaust.json, golden file NAME-exhaust.yaml).
const exhaustSuffix = "-exhaust"

// runName is the matrix's "control connection" column: the TLS mode, and which run it was when the
// peer's name says it is not the full suite.
func runName(peer, tls string) string {
	if strings.HasSuffix(peer, exhaustSuffix) {
		return modeName(tls) + ", range exhaustion only (--exhaust-max)"
	}
	return modeName(tls)
}

func modesLabel(modes []string, of int) string {
	if len(modes) == of && of > 1 {
		return "both runs"
	}
	names := make([]string, len(modes))
	for i, m := range modes {
		names[i] = modeName(m)
	}
	return strings.Join(names, ", ")
}

func sortedVerdictKeys(m map[golden.Key]golden.Verdict) []golden.Key {
	ks := make([]golden.Key, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b golden.Key) int {
		if a.TLS != b.TLS {
			return strings.Compare(b.TLS, a.TLS) // none before explicit
		}
		return strings.Compare(a.ID, b.ID)
	})
	return ks
}

func loadSummary(l *reports.Load) string {
	t := l.Transfers
	return fmt.Sprintf("%d/%d transfers ok, %d misrouted, %d corrupt, %d stolen", t.OK, t.Attempted, t.Misrouted, t.Corrupt, t.Stolen)
}

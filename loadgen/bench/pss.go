package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// readPSS returns a process's proportional set size in KiB, from /proc/PID/smaps_rollup: shared
// pages are split among the processes that map them, so a tree's PSS adds up honestly.
func readPSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Pss:"); ok {
			kb := strings.Fields(rest)
			if len(kb) == 0 {
				break
			}
			return strconv.ParseInt(kb[0], 10, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("/proc/%d/smaps_rollup has no Pss line", pid)
}

// treePSS sums the PSS of pid and all its descendants (found by the parent pid in
// /proc/*/stat): a forking server's sessions live in its children. It returns the sum and the
// number of processes counted.
func treePSS(pid int) (int64, int, error) {
	tree := descendants(pid)
	total, err := readPSS(pid)
	if err != nil {
		return 0, 0, err
	}
	n := 1
	for _, c := range tree {
		// A child may exit between the scan and the read: it no longer holds memory.
		if kb, err := readPSS(c); err == nil {
			total += kb
			n++
		}
	}
	return total, n, nil
}

// descendants lists every process below pid.
func descendants(pid int) []int {
	children := map[int][]int{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, s := range stats {
		b, err := os.ReadFile(s)
		if err != nil {
			continue
		}
		// The command name in parentheses may hold spaces: the fields after the last ')' are fixed.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 {
			continue
		}
		ppid, err1 := strconv.Atoi(f[1])
		self, err2 := strconv.Atoi(filepath.Base(filepath.Dir(s)))
		if err1 == nil && err2 == nil {
			children[ppid] = append(children[ppid], self)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

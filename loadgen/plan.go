package loadgen

import (
	"net/netip"
	"path"
	"strconv"

	"github.com/ftpspec/ftpspec/internal/payload"
)

// plan holds the run's choices as pure functions of (seed, session, transfer), so the upload
// phase, every session and every shard agree on them without coordination.
type plan struct {
	sc       *Scenario
	seed     uint64
	total    int // sessions of the whole run, over all shards
	lo, hi   int // this shard's global session numbers [lo, hi)
	files    int // distinct files per session
	synth    bool
	workDir  string // where uploads go, relative to the login directory (or the URL's dir)
	catalog  payload.Catalog
	needsDir bool // the run writes or lists, so the work directory must exist
}

// Salts for rnd, one per kind of choice.
const (
	saltOp = iota + 1
	saltSize
	saltRest
	saltVictim
)

// maxFilesPerSession bounds the catalog and the upload phase: transfers beyond it reuse a
// session's files in turn. A session's transfers never overlap, so a repeated name cannot hide a
// misroute: two transfers in flight at once always belong to different sessions.
const maxFilesPerSession = 64

func newPlan(sc *Scenario, seed uint64, synth bool, workDir string) *plan {
	p := &plan{sc: sc, seed: seed, total: sc.Sessions, synth: synth, workDir: workDir}
	p.lo, p.hi = sc.Shard.span(sc.Sessions)
	switch {
	case sc.Transfers > 0:
		p.files = min(sc.Transfers, maxFilesPerSession)
	case synth:
		p.files = maxFilesPerSession
	default:
		p.files = 4 // uploaded before the run: keep the upload phase short
	}
	for _, w := range sc.Mix {
		if !w.Value.downloads() {
			p.needsDir = true
		}
	}
	if !synth {
		p.needsDir = true
	}
	// Every name of the whole run, every shard included, so bytes misrouted from a session of
	// another shard are still named.
	p.catalog = make(payload.Catalog, p.total*p.files)
	for s := range p.total {
		for f := range p.files {
			p.catalog.Add(fileName(s, f))
		}
	}
	return p
}

// sessions is the number of sessions this shard runs.
func (p *plan) sessions() int { return p.hi - p.lo }

// fileName names file f of global session s: "s0017-t02". The name is also the content's
// identity (internal/payload), so misrouted bytes name the transfer they belonged to.
func fileName(s, f int) string {
	b := make([]byte, 0, 12)
	b = append(b, 's')
	b = appendPadded(b, s, 4)
	b = append(b, "-t"...)
	b = appendPadded(b, f, 2)
	return string(b)
}

func appendPadded(b []byte, n, width int) []byte {
	d := strconv.Itoa(n)
	for i := len(d); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, d...)
}

// file is the file index transfer t of a session uses.
func (p *plan) file(t int) int { return t % p.files }

// op is the operation of transfer t of session s.
func (p *plan) op(s, t int) Op { return p.sc.Mix.pick(rnd(p.seed, s, t, saltOp)) }

// size is the size of file f of session s: a property of the file, so every transfer of it agrees.
func (p *plan) size(s, f int) int64 { return p.sc.Size.pick(rnd(p.seed, s, f, saltSize)) }

// restOffset is where a REST transfer of a file of size n resumes: inside the file, never at 0.
func (p *plan) restOffset(s, t int, n int64) int64 {
	if n < 2 {
		return 0
	}
	return 1 + int64(rnd(p.seed, s, t, saltRest)%uint64(n-1))
}

// mode is the data mode of global session s.
func (p *plan) mode(s int) Mode { return p.sc.modeOf(s, p.total) }

// source is the local address of global session s (invalid: the system chooses).
func (p *plan) source(s int) (a netip.Addr) {
	if len(p.sc.Sources) == 0 {
		return a
	}
	return p.sc.Sources[s%len(p.sc.Sources)]
}

// downloadPath is where the content of a file to download lives on the server.
func (p *plan) downloadPath(name string, size int64) string {
	if p.synth {
		return "/synthetic/" + strconv.FormatInt(size, 10) + "/" + name
	}
	return p.uploadPath(name)
}

// uploadPath is where a file the run writes lives on the server.
func (p *plan) uploadPath(name string) string { return path.Join(p.workDir, name) }

// prepared lists the files (name, size) that must exist on the server before the run: the
// downloads of this shard's sessions, when the server does not compute them itself.
func (p *plan) prepared() []preparedFile {
	if p.synth {
		return nil
	}
	var out []preparedFile
	for s := p.lo; s < p.hi; s++ {
		need := make([]bool, p.files)
		limit := p.sc.Transfers
		if limit == 0 || limit > p.files*8 {
			// A duration-bound run may reach any file with any operation: prepare them all.
			for f := range need {
				need[f] = true
			}
		} else {
			for t := range limit {
				if p.op(s, t).downloads() {
					need[p.file(t)] = true
				}
			}
		}
		for f, ok := range need {
			if ok {
				name := fileName(s, f)
				out = append(out, preparedFile{name, p.size(s, f)})
			}
		}
	}
	return out
}

type preparedFile struct {
	name string
	size int64
}

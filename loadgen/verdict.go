package loadgen

import (
	"fmt"

	"github.com/ftpspec/ftpspec/reports"
)

// Verdict judges a load result: nil when every transfer was ok and every threshold held, else a
// *FailedError naming each reason. Misrouted, corrupt and stolen transfers always fail a run,
// whatever the thresholds say; so do failed transfers, since a transfer the server did not
// complete is a failure of the server under load.
func Verdict(l *reports.Load) error {
	if l == nil {
		return nil
	}
	var reasons []string
	c := l.Transfers
	for _, k := range []struct {
		n    int
		what string
	}{
		{c.Misrouted, "misrouted (their bytes belonged to another transfer)"},
		{c.Stolen, "stolen (a connection from another address got their data port)"},
		{c.Corrupt, "corrupt"},
		{c.Failed, "failed"},
	} {
		if k.n > 0 {
			reasons = append(reasons, fmt.Sprintf("%d of %d transfers %s", k.n, c.Attempted, k.what))
		}
	}
	if l.Thieves != nil && l.Thieves.BytesStolen > 0 && c.Stolen == 0 {
		reasons = append(reasons, fmt.Sprintf("thieves received %d bytes", l.Thieves.BytesStolen))
	}
	for _, t := range l.Thresholds {
		if !t.Pass {
			reasons = append(reasons, fmt.Sprintf("threshold %s breached (value %s)", t.Expr, formatValue(t.Value)))
		}
	}
	if c.Attempted == 0 {
		reasons = append(reasons, "no transfer was attempted")
	}
	if len(reasons) == 0 {
		return nil
	}
	return &FailedError{Reasons: reasons}
}

func formatValue(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.4g", v)
}

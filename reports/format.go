package reports

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// formatInt writes n with thousands separators: 1234567 → "1,234,567".
func formatInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var sb strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			sb.WriteByte(',')
		}
		sb.WriteRune(c)
	}
	if neg {
		return "-" + sb.String()
	}
	return sb.String()
}

// formatBytes writes a byte count with a decimal (SI) unit, as network throughput is usually quoted.
func formatBytes(b float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	i := 0
	for math.Abs(b) >= 1000 && i < len(units)-1 {
		b /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f %s", b, units[i])
	}
	return fmt.Sprintf("%s %s", trimFloat(b, 3), units[i])
}

// formatRate writes bytes per second.
func formatRate(bps float64) string { return formatBytes(bps) + "/s" }

// formatMS writes a duration given in milliseconds with a unit that keeps three significant digits.
func formatMS(ms float64) string {
	switch {
	case ms == 0:
		return "0 ms"
	case math.Abs(ms) < 1:
		return trimFloat(ms*1000, 3) + " µs"
	case math.Abs(ms) < 1000:
		return trimFloat(ms, 3) + " ms"
	default:
		return trimFloat(ms/1000, 3) + " s"
	}
}

// formatFloat writes a plain number with up to three significant digits after large values
// lose their fraction: 3012.4 → "3,012", 12.345 → "12.3".
func formatFloat(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	if math.Abs(v) >= 1000 {
		return formatInt(int64(math.Round(v)))
	}
	return trimFloat(v, 3)
}

// formatPercent writes a fraction as a percentage.
func formatPercent(f float64) string {
	if f == 0 {
		return "0%"
	}
	return trimFloat(f*100, 3) + "%"
}

// trimFloat writes v with sig significant digits and no trailing zeros.
func trimFloat(v float64, sig int) string {
	if v == 0 {
		return "0"
	}
	digits := sig - 1 - int(math.Floor(math.Log10(math.Abs(v))))
	if digits < 0 {
		digits = 0
	}
	s := strconv.FormatFloat(v, 'f', digits, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

package suites

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ftpspec/ftpspec/internal/ftpwire"
	"github.com/ftpspec/ftpspec/reports"
)

func TestRecommended(t *testing.T) {
	tests := []struct {
		code int
		ok   []int
		want reports.Outcome // graded for a MUST case
	}{
		{504, nil, reports.Pass},
		{501, []int{501}, reports.Pass},
		{502, nil, reports.Warn}, // right class, other code: SHOULD
		{534, nil, reports.Warn},
		{200, nil, reports.Fail}, // accepted: wrong class
		{421, nil, reports.Fail},
	}
	c := Case{ID: "rfc2228/3/x", Level: Must}
	for _, tt := range tests {
		r := ftpwire.Reply{Code: tt.code, Raw: "000 x\r\n"}
		o, _, _, _ := Classify(c, recommended(r, 504, "X", tt.ok...), false)
		assert.Equal(t, tt.want, o, "reply %d", tt.code)
	}
}

func TestExtAuthNamesTLS(t *testing.T) {
	for params, ok := range map[string]bool{
		"TLS": true, "tls": true, "SSL TLS": true, "TLS-C;SSL": true, "SSL": false, "GSSAPI": false, "": false, "TLS-P": false,
	} {
		assert.Equal(t, ok, extAuthNamesTLS(params), params)
	}
}

package ftpwire

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePASV(t *testing.T) {
	tests := []struct {
		text string
		want string // "" for an error
	}{
		{"Entering Passive Mode (127,0,0,1,117,48)", "127.0.0.1:30000"},
		{"Entering Passive Mode 127,0,0,1,117,48", "127.0.0.1:30000"},
		{"=127,0,0,1,4,1", "127.0.0.1:1025"},
		{"Entering Passive Mode (127,0,0,1,117,48).", "127.0.0.1:30000"},
		{"Mode 2 (10,1,2,3,0,21)", "10.1.2.3:21"},         // a lone number before the six is skipped
		{"(1,2,3,4,5) then (9,9,9,9,1,1)", "9.9.9.9:257"}, // five numbers are not an address
		{"(256,0,0,1,1,1)", ""},                           // octet out of range
		{"(1270,0,0,1,1,1)", ""},                          // four digits
		{"(127,0,0,1,117,4800)", ""},                      // trailing digits
		{"(127, 0, 0, 1, 117, 48)", ""},                   // spaces are not in RFC 959's grammar
		{"Entering Passive Mode", ""},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			ap, err := ParsePASV(tc.text)
			if tc.want == "" {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, ap.String())
		})
	}
}

func TestParseEPSV(t *testing.T) {
	tests := []struct {
		text string
		want uint16
	}{
		{"Entering Extended Passive Mode (|||6446|)", 6446},
		{"ok (!!!65535!)", 65535},
		{"(###1#)", 1},
		{"(|||0|)", 0},
		{"(|||65536|)", 0},
		{"(||6446|)", 0},
		{"(|||6446|", 0},
		{"(|||+64|)", 0},
		{"(   6446 )", 0},
		{"( (|||21|)", 21},
		{"", 0},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			p, err := ParseEPSV(tc.text)
			if tc.want == 0 {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, p)
		})
	}
}

func TestFormat(t *testing.T) {
	assert.Equal(t, "127,0,0,2,117,48", FormatPORT(netip.MustParseAddrPort("127.0.0.2:30000")))
	assert.Equal(t, "|1|127.0.0.1|21|", FormatEPRT(netip.MustParseAddrPort("127.0.0.1:21")))
	assert.Equal(t, "|2|::1|5282|", FormatEPRT(netip.MustParseAddrPort("[::1]:5282")))
	ap, err := ParsePASV(FormatPORT(netip.MustParseAddrPort("10.20.30.40:65535")))
	require.NoError(t, err)
	assert.Equal(t, "10.20.30.40:65535", ap.String())
}

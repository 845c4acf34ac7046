package reports

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func labFixture(k int, behind bool) *Lab {
	l := &Lab{Kind: "nat", ClientNAT: "198.19.1.2", ServerAddress: "198.19.2.2", ServerPublic: "198.19.2.2",
		ServerBehindNAT: behind, Thief: LabHost{Namespace: "t", Address: "198.19.3.2"}}
	if behind {
		l.ServerAddress = "198.18.250.2"
	}
	for i := 1; i <= k; i++ {
		l.Clients = append(l.Clients, LabClient{LabHost: LabHost{Address: fmt.Sprintf("198.18.%d.2", i)}})
	}
	return l
}

func TestLabDiagram(t *testing.T) {
	tests := []struct {
		k      int
		behind bool
		want   string
	}{
		{1, false, "" +
			"client 1  198.18.1.2   ───── NAT 198.19.1.2 ── WAN ──┬── server 198.19.2.2\n" +
			"                                                     └── thief 198.19.3.2\n"},
		{3, true, "" +
			"client 1  198.18.1.2   ──┐\n" +
			"client 2  198.18.2.2   ──┼── NAT 198.19.1.2 ── WAN ──┬── server NAT 198.19.2.2 (DNAT) ── server 198.18.250.2\n" +
			"client 3  198.18.3.2   ──┘                           └── thief 198.19.3.2\n"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.k, tc.behind), func(t *testing.T) {
			assert.Equal(t, tc.want, LabDiagram(labFixture(tc.k, tc.behind)))
		})
	}
	// Every client appears once, whatever K.
	d := LabDiagram(labFixture(4, false))
	for i := 1; i <= 4; i++ {
		assert.Equal(t, 1, strings.Count(d, fmt.Sprintf("198.18.%d.2", i)), d)
	}
}

func TestHTMLLabSection(t *testing.T) {
	l := labFixture(2, true)
	l.Passive = LabPassive{Reached: "198.19.2.2", Verdict: "private", Detail: "227 replies carried 198.18.250.2",
		Advertised: []LabAddrCount{{Address: "198.18.250.2", Count: 20}}}
	l.Active = []LabActive{
		{Helper: "off", Attempted: 4, Failed: 4, Verdict: "as expected", Detail: "the NAT's limit, not a server fault"},
		{Helper: "on", Attempted: 4, OK: 4, Verdict: "as expected", Sources: []LabActiveSource{{Mode: "EPRT", ServerFrom: "198.18.250.2:40001", ClientSaw: "198.19.2.2:40001"}}},
	}
	l.Findings = []string{"227 address: 227 replies carried 198.18.250.2"}
	run := &Run{Schema: SchemaV1, Lab: l, Load: &Load{Sessions: 2, Transfers: TransferCounts{Attempted: 4, OK: 4}}}
	var b strings.Builder
	require.NoError(t, WriteHTML(&b, []*Run{run}, HTMLOptions{}))
	html := b.String()
	for _, want := range []string{`id="lab"`, "Active mode (PORT/EPRT) through the client NAT", "nf_conntrack_ftp) off", "the NAT&#39;s limit, not a server fault",
		"198.18.250.2:40001", "198.19.2.2:40001", "✗ no: clients that use it cannot connect", "1 finding", "server NAT 198.19.2.2 (DNAT)", "Failures found"} {
		assert.Contains(t, html, want)
	}

	l.Findings, l.Passive.Verdict, l.Passive.Advertised = nil, "ok", []LabAddrCount{{Address: "198.19.2.2", Count: 20, Reached: true}}
	b.Reset()
	require.NoError(t, WriteHTML(&b, []*Run{run}, HTMLOptions{}))
	assert.Contains(t, b.String(), "✓ no findings")
	assert.NotContains(t, b.String(), "cannot connect")
}

func TestHTMLShowsActiveSourcePorts(t *testing.T) {
	l := &Load{Sessions: 1, Transfers: TransferCounts{Attempted: 2, OK: 2},
		DataPorts: PortAnalysis{ActiveSources: &ActiveSources{Connections: 2, Distinct: 2, Min: 40001, Max: 40007}}}
	var b strings.Builder
	require.NoError(t, WriteHTML(&b, []*Run{{Schema: SchemaV1, Load: l}}, HTMLOptions{}))
	assert.Contains(t, b.String(), "active-mode source ports")
	assert.Contains(t, b.String(), "40001–40007")
	assert.Contains(t, b.String(), "2 connections from 2 ports, 0 below 1024")
}

package reports

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Lab is what `ftpspec lab nat` built and found: the NAT network the load ran through, the
// transfers per client namespace, the addresses the server advertised against the one the
// clients reached, active mode through the client NAT with and without the kernel's FTP helper,
// and the thief outside the NAT. The load itself (all client namespaces merged) is Run.Load.
type Lab struct {
	Kind            string      `json:"kind"`   // "nat"
	Server          string      `json:"server"` // "reference" or the --target-cmd command line
	ServerBehindNAT bool        `json:"server_behind_nat"`
	ServerAddress   string      `json:"server_address"`        // the server's own address in its namespace
	ServerPublic    string      `json:"server_public_address"` // the address clients reach it at
	ClientNAT       string      `json:"client_nat_address"`    // the one outside address every client shares
	Clients         []LabClient `json:"clients"`
	Thief           LabHost     `json:"thief"`
	Passive         LabPassive  `json:"passive"`
	ALG             string      `json:"alg"`              // what --alg asked for: on, off or auto
	Active          []LabActive `json:"active,omitempty"` // one trial per FTP-helper state tried
	Findings        []string    `json:"findings,omitempty"`
	Notes           []string    `json:"notes,omitempty"`
}

// LabHost is one namespace of the lab.
type LabHost struct {
	Namespace string `json:"namespace"`
	Address   string `json:"address"`
}

// LabClient is one client namespace and what happened to its transfers.
type LabClient struct {
	LabHost
	Shard     int            `json:"shard"` // its --shard i/K
	Sessions  int            `json:"sessions"`
	Transfers TransferCounts `json:"transfers"`
	// SeenFrom is the address the server saw this namespace's connections come from (the NAT's),
	// from the client NAT's connection tracking, with how many connections it tracked and how
	// many of them the NAT gave another source port.
	SeenFrom       string `json:"seen_from"`
	Connections    int    `json:"connections"`
	PortsRewritten int    `json:"ports_rewritten"`
	Error          string `json:"error,omitempty"`
}

// LabPassive compares the addresses in 227 replies with the one the clients reached.
type LabPassive struct {
	Reached    string         `json:"reached"` // the control connection's address (the server's public one)
	Advertised []LabAddrCount `json:"advertised,omitempty"`
	EPSV       int            `json:"epsv"`    // 229 replies (they carry no address)
	Verdict    string         `json:"verdict"` // "ok", "private" or "none"
	Detail     string         `json:"detail"`
}

// LabAddrCount is one address advertised in 227 replies and how often.
type LabAddrCount struct {
	Address string `json:"address"`
	Count   int    `json:"count"`
	Reached bool   `json:"reached"` // equals the address the clients reached
}

// LabActive is one trial of active mode (PORT and EPRT) from behind the client NAT.
type LabActive struct {
	Helper    string `json:"helper"` // "off" or "on" (nf_conntrack_ftp with nf_nat_ftp)
	Namespace string `json:"namespace"`
	Attempted int    `json:"attempted"`
	OK        int    `json:"ok"`
	Failed    int    `json:"failed"`
	Expected  string `json:"expected"` // "fail" or "ok"
	Verdict   string `json:"verdict"`  // "as expected", "finding", "unexpected success"
	Detail    string `json:"detail"`
	FirstErr  string `json:"first_error,omitempty"`
	// Sources pairs, per active-mode data connection, where the server opened it from (its own
	// address and port, before any NAT) with what the client saw after the NATs.
	Sources []LabActiveSource `json:"sources,omitempty"`
}

// LabActiveSource is one active-mode data connection seen from both ends.
type LabActiveSource struct {
	Session    int    `json:"session"`
	Index      int    `json:"index"`
	Mode       string `json:"mode"`                  // PORT or EPRT
	ServerFrom string `json:"server_from,omitempty"` // address:port the server's socket had (from the routers' connection tracking)
	ClientSaw  string `json:"client_saw"`            // address:port the client's accepted connection came from
}

// LabDiagram draws the lab's namespaces and addresses in plain text, for reports:
//
//	client 1  198.18.1.2 ──┐
//	client 2  198.18.2.2 ──┼── NAT 198.19.1.2 ── WAN ──┬── server 198.19.2.2
//	client 3  198.18.3.2 ──┘                           └── thief 198.19.3.2
func LabDiagram(l *Lab) string {
	k := len(l.Clients)
	if k == 0 {
		return ""
	}
	mid := (k - 1) / 2
	rows := make([]string, max(k, mid+2))
	wanCol := 0
	for i, c := range l.Clients {
		joint := "┤"
		switch {
		case k == 1:
			joint = "─"
		case i == 0 && i == mid:
			joint = "┬"
		case i == 0:
			joint = "┐"
		case i == k-1:
			joint = "┘"
		case i == mid:
			joint = "┼"
		}
		rows[i] = fmt.Sprintf("client %-2d %-12s ──%s", i+1, c.Address, joint)
		if i == mid {
			rows[i] += "── NAT " + l.ClientNAT + " ── WAN ──"
			wanCol = utf8.RuneCountInString(rows[i])
			rows[i] += "┬── "
			if l.ServerBehindNAT {
				rows[i] += "server NAT " + l.ServerPublic + " (DNAT) ── server " + l.ServerAddress
			} else {
				rows[i] += "server " + l.ServerAddress
			}
		}
	}
	t := mid + 1
	rows[t] += strings.Repeat(" ", max(0, wanCol-utf8.RuneCountInString(rows[t]))) + "└── thief " + l.Thief.Address
	return strings.Join(rows, "\n") + "\n"
}

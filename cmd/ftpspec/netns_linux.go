//go:build linux

package main

import (
	"context"
	"net"
	"net/netip"

	"github.com/ftpspec/ftpspec/loadgen/natlab"
)

// thiefDialer opens the thieves' connections from inside network namespace ns, from src.
func thiefDialer(ns string, src netip.Addr) (func(context.Context, string, string) (net.Conn, error), error) {
	if err := natlab.CheckNamespace(ns); err != nil {
		return nil, err
	}
	return natlab.Dialer{NS: ns, Local: src}.DialContext, nil
}

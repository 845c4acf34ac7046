//go:build !linux

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"runtime"
)

func runNATLab(context.Context, *labOptions, io.Writer, io.Writer) error {
	return usageErr(fmt.Errorf("lab nat: the NAT lab needs Linux network namespaces; this is %s", runtime.GOOS))
}

func thiefDialer(string, netip.Addr) (func(context.Context, string, string) (net.Conn, error), error) {
	return nil, fmt.Errorf("network namespaces need Linux; this is %s", runtime.GOOS)
}

// Package natlab builds and tears down the network of ftpspec's NAT lab: client namespaces behind
// one masquerading router, a "WAN" namespace that routes between the routers, a server namespace
// (optionally behind a second router that forwards the control port and the passive range to it),
// and a thief namespace outside every NAT.
//
// It does one job, by shelling out to ip(8) and iptables(8) with deadlines: every lab resource is
// a network namespace or lives inside one, and every namespace and veth name carries the prefix
// "ftpspec-lab-<pid>-" or "fsl<pid>", so that Cleanup can remove what a killed earlier run left.
// Nothing is ever added to the caller's (root) namespace: veth pairs are created with both ends
// directly in lab namespaces, and every iptables rule is run inside a lab namespace. Addresses come
// from 198.18.0.0/15 (RFC 2544's benchmarking range) and no route leads out of the lab.
//
// The package builds on Linux only; elsewhere it is empty and callers report that the lab needs Linux.
package natlab

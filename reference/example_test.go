package reference_test

import (
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"

	"github.com/ftpspec/ftpspec/reference"
)

// A test starts a server in one line (reference.Start(t) closes it when the test ends); here New
// and Close show the same without a *testing.T.
func Example() {
	srv, err := reference.New(reference.Config{PasvPorts: reference.PortRange{Lo: 20000, Hi: 29999}})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	io.WriteString(c, "USER test\r\nPASS test\r\nSIZE /synthetic/65536/any-name\r\nQUIT\r\n")
	b, _ := io.ReadAll(c)
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\r\n") {
		fmt.Println(line[:3])
	}
	fmt.Println(strings.HasPrefix(srv.URL(), "ftp://test:test@127.0.0.1:"))
	// Output:
	// 220
	// 331
	// 230
	// 213
	// 221
	// true
}

func ExampleLoadConfig() {
	cfg, err := reference.LoadConfig(filepath.Join("testdata", "example.yaml"))
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg.PasvPorts, len(cfg.Users), cfg.Timeouts.Idle)
	_, err = reference.LoadConfig(filepath.Join("testdata", "bad.yaml"))
	fmt.Println(strings.TrimPrefix(err.Error(), filepath.Join("testdata", "")+"/"))
	// Output:
	// 30000-30999 2 5m0s
	// bad.yaml:3: limits.max_sesions: unknown field
}

func ExampleFaults() {
	for _, f := range reference.Faults()[:2] {
		fmt.Println(f.Name)
	}
	// Output:
	// shared-pasv-port
	// no-ip-check
}

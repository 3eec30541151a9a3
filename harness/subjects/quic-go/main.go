// quicgo-subject: the quic-go reference subject of bench.
//
// One binary, several modes (see README.md):
//
//	quicgo-subject echo-server   --listen ADDR --cert PEM --key PEM [--alpn bench-echo/1]
//	quicgo-subject tunnel-server --listen ADDR --cert PEM --key PEM --allow TOKEN=HOST:PORT [--allow ...]
//	quicgo-subject tunnel-client --listen 127.0.0.1:PORT --server ADDR --fingerprint SHA256HEX --token TOKEN
//	quicgo-subject version
//
// stdout carries only the `ready <udp|tcp> <addr>` line; everything else (settings, stats,
// logs) goes to stderr, settings and stats as one JSON object per line.
package main

import (
	"fmt"
	"os"
	"runtime"
)

// quicGoVersion is set at build time by harness/dev/build-native.ts:
//
//	-ldflags "-X main.quicGoVersion=<Debian package version without revision>"
var quicGoVersion = "unknown"

func usage() {
	fmt.Fprint(os.Stderr, `usage: quicgo-subject <mode> [flags]
modes:
  echo-server    QUIC echo server: every bidirectional stream echoed until the peer's FIN
  tunnel-server  TCP-over-QUIC tunnel, server side (allowlisted backends only)
  tunnel-client  TCP-over-QUIC tunnel, client side (local TCP listener)
  setup-client   times connection setups (and resumption, 0-RTT) against an echo server; JSON requests on stdin
  version        print "quic-go <version> <go version>"
run "quicgo-subject <mode> -h" for the flags of a mode
`)
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	mode, args := os.Args[1], os.Args[2:]
	var err error
	switch mode {
	case "echo-server":
		err = runEchoServer(args)
	case "tunnel-server":
		err = runTunnelServer(args)
	case "tunnel-client":
		err = runTunnelClient(args)
	case "setup-client":
		err = runSetupClient(args)
	case "version", "--version", "-v":
		fmt.Printf("quic-go %s %s\n", quicGoVersion, runtime.Version())
	case "help", "-h", "--help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "quicgo-subject: unknown mode %q\n", mode)
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "quicgo-subject %s: %v\n", mode, err)
		os.Exit(1)
	}
}

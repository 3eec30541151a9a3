package main

import (
	"errors"
	"flag"
	"sync/atomic"

	quic "github.com/lucas-clemente/quic-go"
)

type echoStats struct {
	connections   atomic.Int64
	streams       atomic.Int64
	streamsActive atomic.Int64
	streamsReset  atomic.Int64
	bytes         atomic.Int64
}

// runEchoServer echoes every bidirectional stream of every connection byte for byte until
// the peer's FIN, then sends FIN back.
func runEchoServer(args []string) error {
	fs := flag.NewFlagSet("echo-server", flag.ContinueOnError)
	listen := fs.String("listen", "", "UDP address to listen on, e.g. 198.18.0.2:4433")
	certFile := fs.String("cert", "", "server certificate (PEM)")
	keyFile := fs.String("key", "", "server private key (PEM)")
	alpn := fs.String("alpn", "bench-echo/1", "ALPN protocol id")
	qf := addQuicFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *listen == "" {
		return errors.New("--listen is required")
	}
	tlsConf, err := loadServerTLS(*certFile, *keyFile, *alpn)
	if err != nil {
		return err
	}
	var st echoStats
	stats := func(final bool) {
		emitJSON(map[string]any{
			"event": "stats", "mode": "echo-server", "final": final,
			"connections": st.connections.Load(), "streams": st.streams.Load(),
			"streamsActive": st.streamsActive.Load(), "streamsReset": st.streamsReset.Load(),
			"bytesEchoed": st.bytes.Load(), "quic": qc.snapshot(),
		})
	}
	return serveQUIC("echo-server", *listen, *alpn, tlsConf, qf, nil, &st.connections, func(s quic.Stream) { echoStream(s, &st) }, stats)
}

func echoStream(s quic.Stream, st *echoStats) {
	st.streams.Add(1)
	st.streamsActive.Add(1)
	defer st.streamsActive.Add(-1)
	rerr, werr := copyHalf(s, s, &st.bytes)
	switch {
	case werr != nil:
		// Peer sent STOP_SENDING (or the connection died): stop reading too.
		st.streamsReset.Add(1)
		s.CancelRead(codeReset)
	case rerr != nil:
		// Peer reset its send side (RESET_STREAM) or the connection died.
		st.streamsReset.Add(1)
		s.CancelWrite(codeReset)
	default:
		s.Close() // FIN back after the peer's FIN
	}
}

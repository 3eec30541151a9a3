package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	quic "github.com/lucas-clemente/quic-go"
)

// Wire protocol shared with bench's TypeScript tunnel (harness/tunnel/protocol.ts, the
// reference for these limits):
//
//	ALPN "bench-tun/1". One bidirectional stream per TCP connection.
//	client -> server: "BTUN1 <token>\n" then the TCP bytes (may be pipelined at once)
//	server -> client: "OK\n" then the backend's bytes, or "ERR <reason>\n" and the stream ends
const (
	tunnelALPN     = "bench-tun/1"
	headerPrefix   = "BTUN1 "
	maxLineLen     = 512 // longest header or status line before its "\n" (MAX_LINE_BYTES)
	maxTokenLen    = 128
	headerTimeout  = 10 * time.Second
	backendTimeout = 10 * time.Second
)

type tunnelCounters struct {
	bytesUp        atomic.Int64 // client -> backend
	bytesDown      atomic.Int64 // backend -> client
	streamsOpened  atomic.Int64 // OK sent / received
	streamsRefused atomic.Int64 // ERR sent / received
	streamsActive  atomic.Int64
	streamsReset   atomic.Int64 // relay ended in a reset
}

func (c *tunnelCounters) snapshot() map[string]int64 {
	return map[string]int64{
		"bytesUp": c.bytesUp.Load(), "bytesDown": c.bytesDown.Load(),
		"streamsOpened": c.streamsOpened.Load(), "streamsRefused": c.streamsRefused.Load(),
		"streamsActive": c.streamsActive.Load(), "streamsReset": c.streamsReset.Load(),
	}
}

type tunnelEntry struct {
	backend  string
	counters tunnelCounters
}

// validToken: 1..128 of A-Z a-z 0-9 . _ ~ - (the TypeScript tunnel's TOKEN_RE).
func validToken(t string) bool {
	if len(t) == 0 || len(t) > maxTokenLen {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("._~-", c) >= 0) {
			return false
		}
	}
	return true
}

// newLineReader reads a stream's first line (header or status): ReadSlice fails with
// bufio.ErrBufferFull once more than maxLineLen bytes came without a newline. The relay's
// later 64 KiB reads bypass the small buffer once it is empty.
func newLineReader(st quic.Stream) *bufio.Reader {
	return bufio.NewReaderSize(st, maxLineLen+1)
}

func runTunnelServer(args []string) error {
	fs := flag.NewFlagSet("tunnel-server", flag.ContinueOnError)
	listen := fs.String("listen", "", "UDP address to listen on")
	certFile := fs.String("cert", "", "server certificate (PEM)")
	keyFile := fs.String("key", "", "server private key (PEM)")
	var allows stringList
	fs.Var(&allows, "allow", "TOKEN=HOST:PORT: a backend clients may reach with TOKEN (repeatable)")
	qf := addQuicFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *listen == "" {
		return errors.New("--listen is required")
	}
	// The allowlist is the only way to name a backend: the server never connects anywhere a
	// client asks, so it is not an open proxy.
	allow := map[string]*tunnelEntry{}
	for _, a := range allows {
		tok, backend, ok := strings.Cut(a, "=")
		if !ok || !validToken(tok) {
			return fmt.Errorf("bad --allow %q (want TOKEN=HOST:PORT, token 1-128 of A-Z a-z 0-9 . _ ~ -)", a)
		}
		if _, _, err := net.SplitHostPort(backend); err != nil {
			return fmt.Errorf("bad --allow %q: %v", a, err)
		}
		if _, dup := allow[tok]; dup {
			return fmt.Errorf("duplicate --allow token %q", tok)
		}
		allow[tok] = &tunnelEntry{backend: backend}
	}
	if len(allow) == 0 {
		return errors.New("at least one --allow TOKEN=HOST:PORT is required")
	}
	tlsConf, err := loadServerTLS(*certFile, *keyFile, tunnelALPN)
	if err != nil {
		return err
	}
	backends := map[string]string{}
	for t, e := range allow {
		backends[t] = e.backend
	}
	var connections, unknownToken, badHeader atomic.Int64
	srv := &tunnelServer{allow: allow, unknownToken: &unknownToken, badHeader: &badHeader}
	stats := func(final bool) {
		tunnels := map[string]any{}
		toks := make([]string, 0, len(allow))
		for t := range allow {
			toks = append(toks, t)
		}
		sort.Strings(toks)
		for _, t := range toks {
			tunnels[t] = allow[t].counters.snapshot()
		}
		emitJSON(map[string]any{
			"event": "stats", "mode": "tunnel-server", "final": final,
			"connections": connections.Load(), "tunnels": tunnels,
			"refusedUnknownToken": unknownToken.Load(), "refusedBadHeader": badHeader.Load(),
			"quic": qc.snapshot(),
		})
	}
	return serveQUIC("tunnel-server", *listen, tunnelALPN, tlsConf, qf, map[string]any{"allow": backends}, &connections, srv.serveStream, stats)
}

type tunnelServer struct {
	allow                   map[string]*tunnelEntry
	unknownToken, badHeader *atomic.Int64
}

// refuse answers "ERR <reason>\n", ends the stream (FIN) and discards whatever the client
// pipelined after its header (STOP_SENDING).
func refuse(st quic.Stream, reason string) {
	_ = st.SetWriteDeadline(time.Now().Add(headerTimeout))
	_, _ = st.Write([]byte("ERR " + reason + "\n"))
	_ = st.Close()
	st.CancelRead(codeRefused)
}

func (s *tunnelServer) serveStream(st quic.Stream) {
	br := newLineReader(st)
	_ = st.SetReadDeadline(time.Now().Add(headerTimeout))
	line, err := br.ReadSlice('\n')
	_ = st.SetReadDeadline(time.Time{})
	if err != nil || !bytes.HasPrefix(line, []byte(headerPrefix)) {
		s.badHeader.Add(1)
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			st.CancelRead(codeRefused)
			st.CancelWrite(codeRefused)
			return
		}
		refuse(st, "bad header")
		return
	}
	token := string(line[len(headerPrefix) : len(line)-1])
	entry, ok := s.allow[token]
	if !ok { // allow keys were validated when parsed
		s.unknownToken.Add(1)
		logf("tunnel-server: refused unknown token %q", token)
		refuse(st, "unknown token")
		return
	}
	c := &entry.counters
	d := net.Dialer{Timeout: backendTimeout}
	nc, err := d.Dial("tcp", entry.backend)
	if err != nil {
		c.streamsRefused.Add(1)
		logf("tunnel-server: token %q: backend %s: %v", token, entry.backend, err)
		refuse(st, "backend unreachable")
		return
	}
	r := &relay{st: st, rd: br, tc: nc.(*net.TCPConn), toStream: &c.bytesDown, toTCP: &c.bytesUp}
	if _, err := st.Write([]byte("OK\n")); err != nil {
		c.streamsReset.Add(1)
		r.abort(true, codeReset)
		return
	}
	c.streamsOpened.Add(1)
	c.streamsActive.Add(1)
	defer c.streamsActive.Add(-1)
	r.run(nil)
	if r.aborted.Load() {
		c.streamsReset.Add(1)
	}
}

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	quic "github.com/lucas-clemente/quic-go"
)

const dialTimeout = 15 * time.Second

type tunnelClient struct {
	server  string
	tlsConf *tls.Config
	cfg     *quic.Config
	token   string
	ctx     context.Context // canceled at shutdown, so a dial in progress does not delay exit
	cancel  context.CancelFunc

	mu   sync.Mutex // held while dialing: concurrent TCP accepts share one dial
	conn quic.Connection

	counters                                tunnelCounters
	dials, dialFailures, streamOpenFailures atomic.Int64
}

func parseFingerprint(s string) ([]byte, error) {
	s = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), ":", ""))
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != sha256.Size {
		return nil, errors.New("--fingerprint must be the SHA-256 of the server certificate's DER, 64 hex digits")
	}
	return b, nil
}

// clientTLS pins the server certificate by fingerprint.
//
// InsecureSkipVerify is set ONLY to replace Go's CA-chain and hostname check, which cannot
// work for bench's per-run self-signed certificate (there is no CA to chain to), with
// VerifyPeerCertificate below. That callback runs during the handshake even when
// InsecureSkipVerify is true and rejects any leaf certificate whose SHA-256 is not the
// pinned fingerprint, so the handshake fails against any other certificate. The TLS 1.3
// CertificateVerify signature is still checked against the leaf's public key by the TLS
// stack, so the peer must hold the pinned certificate's private key. This is certificate
// pinning, not disabled verification.
func clientTLS(pin []byte, serverName string) *tls.Config {
	return pinnedTLS(pin, serverName, tunnelALPN)
}

// pinnedTLS is clientTLS for any ALPN (the setup client speaks bench's echo ALPN).
func pinnedTLS(pin []byte, serverName, alpn string) *tls.Config {
	return &tls.Config{
		ServerName:         serverName,
		NextProtos:         []string{alpn},
		MinVersion:         tls.VersionTLS13,
		InsecureSkipVerify: true, // replaced by the pinning callback below; see comment above
		VerifyPeerCertificate: func(rawCerts [][]byte, _ [][]*x509.Certificate) error {
			if len(rawCerts) == 0 {
				return errors.New("server sent no certificate")
			}
			sum := sha256.Sum256(rawCerts[0])
			if subtle.ConstantTimeCompare(sum[:], pin) != 1 {
				return fmt.Errorf("server certificate fingerprint %x does not match the pinned %x", sum[:], pin)
			}
			return nil
		},
	}
}

func runTunnelClient(args []string) error {
	fs := flag.NewFlagSet("tunnel-client", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "local TCP address to accept app connections on")
	server := fs.String("server", "", "tunnel server UDP address HOST:PORT")
	fp := fs.String("fingerprint", "", "SHA-256 (hex) of the server certificate's DER")
	token := fs.String("token", "", "allowlist token naming the backend on the server")
	lazy := fs.Bool("lazy", false, "do not connect before the first TCP connection")
	qf := addQuicFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *server == "" {
		return errors.New("--server is required")
	}
	host, _, err := net.SplitHostPort(*server)
	if err != nil {
		return fmt.Errorf("--server: %v", err)
	}
	if !validToken(*token) {
		return errors.New("--token is required (1-128 of A-Z a-z 0-9 . _ ~ -)")
	}
	pin, err := parseFingerprint(*fp)
	if err != nil {
		return err
	}
	lc := newLifecycle(qf.exitOnStdinEOF)
	c := &tunnelClient{server: *server, tlsConf: clientTLS(pin, host), cfg: qf.config(false), token: *token}
	c.ctx, c.cancel = context.WithCancel(context.Background())

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	// Report the UDP buffers a dial gets: probe one socket now (dials open their own).
	var probe *udpInfo
	if u, info, err := listenUDP(":0"); err == nil {
		probe = info
		u.Close()
	}
	emitJSON(settings("tunnel-client", c.cfg, tunnelALPN, probe, map[string]any{
		"server": *server, "token": *token, "fingerprint": hex.EncodeToString(pin), "lazy": *lazy,
	}))
	fmt.Printf("ready tcp %s\n", ln.Addr())

	if !*lazy {
		go func() { _, _ = c.connection() }()
	}
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				if !isClosedErr(err) {
					logf("tcp accept: %v", err)
				}
				return
			}
			go c.handle(nc.(*net.TCPConn))
		}
	}()

	stats := func(final bool) {
		emitJSON(map[string]any{
			"event": "stats", "mode": "tunnel-client", "final": final,
			"tunnels":   map[string]any{c.token: c.counters.snapshot()},
			"quicDials": c.dials.Load(), "quicDialFailures": c.dialFailures.Load(),
			"streamOpenFailures": c.streamOpenFailures.Load(), "quic": qc.snapshot(),
		})
	}
	cause := lc.run(stats)
	logf("tunnel-client: shutting down (%s)", cause)
	ln.Close()
	c.cancel()
	c.mu.Lock()
	if c.conn != nil {
		_ = c.conn.CloseWithError(0, "client shutting down")
	}
	c.mu.Unlock()
	stats(true)
	return nil
}

// connection returns the shared QUIC connection, dialing a new one if there is none or the
// previous one died.
func (c *tunnelClient) connection() (quic.Connection, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil && c.conn.Context().Err() == nil {
		return c.conn, nil
	}
	c.conn = nil
	udp, _, err := listenUDP(":0")
	if err != nil {
		return nil, err
	}
	raddr, err := net.ResolveUDPAddr("udp", c.server)
	if err != nil {
		udp.Close()
		return nil, err
	}
	dctx, cancel := context.WithTimeout(c.ctx, dialTimeout)
	defer cancel()
	c.dials.Add(1)
	conn, err := quic.DialContext(dctx, udp, raddr, c.tlsConf.ServerName, c.tlsConf, c.cfg)
	if err != nil {
		udp.Close()
		c.dialFailures.Add(1)
		logf("tunnel-client: connecting to %s: %v", c.server, err)
		return nil, err
	}
	c.conn = conn
	// We own the UDP socket (quic-go does not close a socket it was given): close it when the
	// connection ends, and log why it ended. The server never opens streams (the client
	// allows none), so AcceptStream returns only when the connection closes, with its error.
	go func() {
		_, err := conn.AcceptStream(context.Background())
		logf("tunnel-client: QUIC connection to %s closed: %v", c.server, err)
		udp.Close()
	}()
	return conn, nil
}

func (c *tunnelClient) openStream() (quic.Stream, error) {
	var lastErr error
	for attempt := 0; attempt < 2; attempt++ {
		conn, err := c.connection()
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(c.ctx, dialTimeout)
		st, err := conn.OpenStreamSync(ctx)
		cancel()
		if err == nil {
			return st, nil
		}
		lastErr = err
		if conn.Context().Err() == nil {
			break // connection alive (stream limit / timeout): do not redial
		}
	}
	return nil, lastErr
}

func (c *tunnelClient) handle(tc *net.TCPConn) {
	st, err := c.openStream()
	if err != nil {
		c.streamOpenFailures.Add(1)
		logf("tunnel-client: no tunnel stream for %s: %v", tc.RemoteAddr(), err)
		_ = tc.SetLinger(0)
		tc.Close()
		return
	}
	br := newLineReader(st)
	r := &relay{st: st, rd: br, tc: tc, toStream: &c.counters.bytesUp, toTCP: &c.counters.bytesDown}
	if _, err := st.Write([]byte(headerPrefix + c.token + "\n")); err != nil {
		c.streamOpenFailures.Add(1)
		r.abort(true, codeReset)
		return
	}
	opened := false
	r.run(func(r *relay) bool {
		// Strip the server's status line before any byte reaches the app.
		line, err := br.ReadSlice('\n')
		switch {
		case err == nil && string(line) == "OK\n":
			c.counters.streamsOpened.Add(1)
			c.counters.streamsActive.Add(1)
			opened = true
			return true
		case err == nil && bytes.HasPrefix(line, []byte("ERR ")):
			c.counters.streamsRefused.Add(1)
			logf("tunnel-client: server refused token %q: %s", c.token, strings.TrimSpace(string(line[4:])))
			r.abort(false, codeRefused) // plain close of the app connection, stream cancelled
			return false
		default:
			if err == nil {
				err = fmt.Errorf("bad status line %q", line)
			}
			logf("tunnel-client: tunnel stream failed before status: %v", err)
			r.abort(true, codeReset)
			return false
		}
	})
	if opened {
		c.counters.streamsActive.Add(-1)
		if r.aborted.Load() {
			c.counters.streamsReset.Add(1)
		}
	}
}

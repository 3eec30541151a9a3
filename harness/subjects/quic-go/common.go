package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	quic "github.com/lucas-clemente/quic-go"
	"github.com/lucas-clemente/quic-go/logging"
)

// Stream error codes used for CancelRead/CancelWrite (RESET_STREAM / STOP_SENDING).
const (
	codeReset   quic.StreamErrorCode = 0x1 // the TCP side was reset or failed
	codeRefused quic.StreamErrorCode = 0x2 // tunnel request refused (ERR sent)
)

const (
	udpBufferSize = 8 << 20 // requested UDP socket buffer (SO_RCVBUF/SO_SNDBUF)
	copyBufSize   = 64 << 10
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// logf writes one diagnostic line to stderr.
func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "quicgo-subject: "+format+"\n", a...)
}

var stderrMu sync.Mutex

// emitJSON writes v as one JSON line on stderr.
func emitJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		logf("json: %v", err)
		return
	}
	stderrMu.Lock()
	os.Stderr.Write(append(b, '\n'))
	stderrMu.Unlock()
}

// quicFlags are the transport settings shared by every mode.
type quicFlags struct {
	streamWindow     uint64
	connWindow       uint64
	initStreamWindow uint64
	initConnWindow   uint64
	keepAlive        time.Duration
	idleTimeout      time.Duration
	handshakeTimeout time.Duration
	maxStreams       int64
	exitOnStdinEOF   bool
	packetStats      bool
	allow0RTT        bool
}

func addQuicFlags(fs *flag.FlagSet) *quicFlags {
	q := &quicFlags{}
	// Throughput tuning: quic-go's defaults cap the receive windows at 6 MiB (stream) and
	// 15 MiB (connection), i.e. ~1 Gbit/s at 50 ms RTT for one stream. The windows start at
	// the initial size and quic-go's auto-tuning grows them up to the maximum, so a large
	// maximum costs memory only on links that need it.
	fs.Uint64Var(&q.streamWindow, "stream-window", 16<<20, "max stream-level receive window (bytes)")
	fs.Uint64Var(&q.connWindow, "conn-window", 48<<20, "max connection-level receive window (bytes)")
	fs.Uint64Var(&q.initStreamWindow, "initial-stream-window", 1<<20, "initial stream-level receive window (bytes)")
	fs.Uint64Var(&q.initConnWindow, "initial-conn-window", 3<<20, "initial connection-level receive window (bytes)")
	fs.DurationVar(&q.keepAlive, "keepalive", 5*time.Second, "QUIC keep-alive period (0 = off)")
	fs.DurationVar(&q.idleTimeout, "idle-timeout", 30*time.Second, "QUIC max idle timeout")
	fs.DurationVar(&q.handshakeTimeout, "handshake-idle-timeout", 10*time.Second, "QUIC handshake idle timeout")
	fs.Int64Var(&q.maxStreams, "max-streams", 10000, "max concurrent bidirectional streams the peer may open")
	fs.BoolVar(&q.packetStats, "packet-stats", true, "count QUIC packets sent/received/lost (a quic-go tracer; small CPU cost)")
	fs.BoolVar(&q.exitOnStdinEOF, "exit-on-stdin-eof", false, "shut down when stdin reaches EOF (parent died)")
	fs.BoolVar(&q.allow0RTT, "allow-0rtt", false, "servers: accept 0-RTT data from clients resuming a session (quic.ListenEarly)")
	return q
}

// config builds the quic.Config. acceptStreams=false for a pure client (peer may open none).
func (q *quicFlags) config(acceptStreams bool) *quic.Config {
	maxStreams := q.maxStreams
	if !acceptStreams {
		maxStreams = -1
	}
	var t logging.Tracer
	if q.packetStats {
		t = tracer
	}
	return &quic.Config{
		// RFC 9000 only: the subject is compared with quiche (@matrixai/quic), which speaks v1.
		Versions:                       []quic.VersionNumber{quic.Version1},
		HandshakeIdleTimeout:           q.handshakeTimeout,
		MaxIdleTimeout:                 q.idleTimeout,
		KeepAlivePeriod:                q.keepAlive,
		InitialStreamReceiveWindow:     q.initStreamWindow,
		MaxStreamReceiveWindow:         q.streamWindow,
		InitialConnectionReceiveWindow: q.initConnWindow,
		MaxConnectionReceiveWindow:     q.connWindow,
		MaxIncomingStreams:             maxStreams,
		MaxIncomingUniStreams:          -1,
		Tracer:                         t,
	}
}

// settings is the JSON object printed at start so the report can record the configuration.
func settings(mode string, cfg *quic.Config, alpn string, udp *udpInfo, extra map[string]any) map[string]any {
	versions := []string{}
	for _, v := range cfg.Versions {
		versions = append(versions, fmt.Sprintf("0x%08x", uint32(v)))
	}
	m := map[string]any{
		"event":          "settings",
		"mode":           mode,
		"implementation": "quic-go",
		"quicGoVersion":  quicGoVersion,
		"goVersion":      runtime.Version(),
		"gomaxprocs":     runtime.GOMAXPROCS(0),
		"alpn":           alpn,
		"tlsVersion":     "TLS1.3",
		"quicVersions":   versions,
		// quic-go 0.29 builds its sender as NewCubicSender(..., true /* use Reno */) and paces.
		"congestionControl":              "newreno (quic-go built-in)",
		"pacing":                         true,
		"initialStreamReceiveWindow":     cfg.InitialStreamReceiveWindow,
		"maxStreamReceiveWindow":         cfg.MaxStreamReceiveWindow,
		"initialConnectionReceiveWindow": cfg.InitialConnectionReceiveWindow,
		"maxConnectionReceiveWindow":     cfg.MaxConnectionReceiveWindow,
		"maxIncomingStreams":             cfg.MaxIncomingStreams,
		"keepAlivePeriodMs":              cfg.KeepAlivePeriod.Milliseconds(),
		"maxIdleTimeoutMs":               cfg.MaxIdleTimeout.Milliseconds(),
		"handshakeIdleTimeoutMs":         cfg.HandshakeIdleTimeout.Milliseconds(),
		"pathMtuDiscovery":               !cfg.DisablePathMTUDiscovery,
		"packetStats":                    cfg.Tracer != nil,
	}
	if udp != nil {
		m["udpRcvBuf"] = udp.rcvBuf
		m["udpSndBuf"] = udp.sndBuf
		m["udpBufForced"] = udp.forced
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

type udpInfo struct {
	rcvBuf, sndBuf int // as reported by getsockopt (Linux reports twice the requested value)
	forced         bool
}

// listenUDP opens the UDP socket for quic-go and enlarges its buffers. SO_RCVBUFFORCE /
// SO_SNDBUFFORCE (root/CAP_NET_ADMIN, as in the lab) bypass net.core.rmem_max/wmem_max;
// otherwise the plain setsockopt gets whatever the sysctl caps allow. Doing it here, rather
// than letting quic-go try, keeps quic-go's "failed to increase receive buffer" warning away
// and lets the effective size be reported.
func listenUDP(addr string) (*net.UDPConn, *udpInfo, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, nil, err
	}
	c, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, nil, err
	}
	info := &udpInfo{}
	rc, err := c.SyscallConn()
	if err == nil {
		_ = rc.Control(func(fd uintptr) {
			e1 := syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, udpBufferSize)
			e2 := syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUFFORCE, udpBufferSize)
			info.forced = e1 == nil && e2 == nil
			if e1 != nil {
				_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, udpBufferSize)
			}
			if e2 != nil {
				_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, udpBufferSize)
			}
			info.rcvBuf, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
			info.sndBuf, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF)
		})
	}
	return c, info, nil
}

// loadServerTLS builds the server TLS config (quic-go enforces TLS 1.3).
func loadServerTLS(certFile, keyFile, alpn string) (*tls.Config, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("--cert and --key are required")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading certificate: %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{alpn},
		MinVersion:   tls.VersionTLS13,
	}, nil
}

// lifecycle delivers shutdown (SIGTERM, SIGINT, stdin EOF when asked) and SIGUSR1 (stats).
type lifecycle struct {
	done  chan struct{}
	once  sync.Once
	usr1  chan os.Signal
	term  chan os.Signal
	cause string
}

func newLifecycle(exitOnStdinEOF bool) *lifecycle {
	l := &lifecycle{done: make(chan struct{}), usr1: make(chan os.Signal, 1), term: make(chan os.Signal, 1)}
	signal.Notify(l.term, syscall.SIGTERM, syscall.SIGINT)
	signal.Notify(l.usr1, syscall.SIGUSR1)
	go func() {
		s := <-l.term
		l.shutdown("signal " + s.String())
	}()
	if exitOnStdinEOF {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			l.shutdown("stdin EOF")
		}()
	}
	return l
}

func (l *lifecycle) shutdown(cause string) {
	l.once.Do(func() {
		l.cause = cause
		close(l.done)
	})
}

// run calls stats on every SIGUSR1 until shutdown, then once more, and returns the cause.
func (l *lifecycle) run(stats func(final bool)) string {
	for {
		select {
		case <-l.usr1:
			stats(false)
		case <-l.done:
			return l.cause
		}
	}
}

// serveQUIC is the skeleton both servers share: listen on addr, print the settings line and
// "ready udp ADDR", count accepted connections in conns, hand every stream a peer opens to
// onStream in its own goroutine, print stats(false) on SIGUSR1, and on shutdown close the
// listener (CONNECTION_CLOSE to every peer) and print stats(true). It returns once the
// process should exit.
func serveQUIC(mode, addr, alpn string, tlsConf *tls.Config, qf *quicFlags, extra map[string]any, conns *atomic.Int64, onStream func(quic.Stream), stats func(final bool)) error {
	lc := newLifecycle(qf.exitOnStdinEOF)
	cfg := qf.config(true)
	udp, info, err := listenUDP(addr)
	if err != nil {
		return err
	}
	defer udp.Close()
	ln, err := listen(udp, tlsConf, cfg, qf.allow0RTT)
	if err != nil {
		return err
	}
	if extra == nil {
		extra = map[string]any{}
	}
	extra["allow0RTT"] = qf.allow0RTT
	emitJSON(settings(mode, cfg, alpn, info, extra))
	fmt.Printf("ready udp %s\n", ln.Addr())
	go func() {
		for {
			conn, err := ln.Accept(context.Background())
			if err != nil {
				if !isClosedErr(err) {
					logf("accept: %v", err)
				}
				return
			}
			conns.Add(1)
			go acceptStreams(conn, onStream)
		}
	}()
	cause := lc.run(stats)
	logf("%s: shutting down (%s)", mode, cause)
	ln.Close()
	stats(true)
	return nil
}

// listener is what serveQUIC needs of quic.Listen's and quic.ListenEarly's listeners.
type listener interface {
	Accept(context.Context) (quic.Connection, error)
	Close() error
	Addr() net.Addr
}

type earlyListener struct{ quic.EarlyListener }

func (l earlyListener) Accept(ctx context.Context) (quic.Connection, error) {
	return l.EarlyListener.Accept(ctx)
}

// listen opens the QUIC listener; with allow0RTT it hands out connections before their
// handshake completes, which is how quic-go 0.29 accepts 0-RTT data (a server that waits for
// the handshake, quic.Listen, rejects it).
func listen(udp *net.UDPConn, tlsConf *tls.Config, cfg *quic.Config, allow0RTT bool) (listener, error) {
	if !allow0RTT {
		return quic.Listen(udp, tlsConf, cfg)
	}
	ln, err := quic.ListenEarly(udp, tlsConf, cfg)
	if err != nil {
		return nil, err
	}
	return earlyListener{ln}, nil
}

// acceptStreams runs onStream on every stream the peer opens until the connection closes.
func acceptStreams(conn quic.Connection, onStream func(quic.Stream)) {
	for {
		s, err := conn.AcceptStream(context.Background())
		if err != nil {
			return
		}
		go onStream(s)
	}
}

func isClosedErr(err error) bool {
	return err != nil && (errors.Is(err, net.ErrClosed) || errors.Is(err, quic.ErrServerClosed))
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

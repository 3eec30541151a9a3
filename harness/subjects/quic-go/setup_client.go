package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	quic "github.com/lucas-clemente/quic-go"
)

// The setup client times connection setups with quic-go's own client, for bench's handshake
// and resumption workloads (harness/workloads/wire/setups.ts does the same with bench's
// agent transports). It reads one JSON request per line on stdin and answers one JSON line
// per request on stdout:
//
//	{"id":1,"connections":10,"resume":true,"seed":7,"timeoutMs":30000}
//	{"id":1,"records":[{"setupUs":..,"firstByteUs":..,"offered":false,"resumed":false,"earlyData":false},...],"error":""}
//
// Each connection sends bench's 20-byte echo header plus one byte on a new stream and waits
// for the echo, verified. With resume, connections come in pairs: the second dials with the
// session ticket the first one received (a client session cache shared by the two only) and
// sends its request as 0-RTT data when the server accepts it. The reply carries the client's
// QUIC packet counters over the request.

type setupRequest struct {
	ID          int    `json:"id"`
	Connections int    `json:"connections"`
	Resume      bool   `json:"resume"`
	Seed        uint32 `json:"seed"`
	TimeoutMs   int    `json:"timeoutMs"`
}

type setupRecord struct {
	SetupUs     float64 `json:"setupUs"`
	FirstByteUs float64 `json:"firstByteUs"`
	Offered     bool    `json:"offered"`
	Resumed     bool    `json:"resumed"`
	EarlyData   bool    `json:"earlyData"`
}

type setupReply struct {
	ID      int           `json:"id"`
	Records []setupRecord `json:"records"`
	Error   string        `json:"error"`
	// The client's QUIC packet counters over this request (gauges as they ended).
	Quic map[string]int64 `json:"quic"`
}

// The TLS server name every connection asks for; also the session cache's key.
const setupServerName = "bench.test"

// How long a first connection waits for its session ticket (sent after the handshake).
const ticketWait = 3 * time.Second

func runSetupClient(args []string) error {
	fs := flag.NewFlagSet("setup-client", flag.ContinueOnError)
	server := fs.String("server", "", "QUIC server address, e.g. 198.18.0.2:4433")
	fpr := fs.String("fingerprint", "", "SHA-256 of the server certificate's DER (hex)")
	alpn := fs.String("alpn", "bench-echo/1", "ALPN protocol id")
	qf := addQuicFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *server == "" {
		return errors.New("--server is required")
	}
	pin, err := parseFingerprint(*fpr)
	if err != nil {
		return err
	}
	cfg := qf.config(false)
	emitJSON(settings("setup-client", cfg, *alpn, nil, map[string]any{"server": *server}))
	fmt.Println("ready stdin")
	in := bufio.NewScanner(os.Stdin)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var req setupRequest
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			_ = out.Encode(setupReply{ID: -1, Error: "bad request: " + err.Error()})
			continue
		}
		before := qc.snapshot()
		recs, err := runSetups(*server, pin, *alpn, cfg, req)
		reply := setupReply{ID: req.ID, Records: recs, Quic: qc.snapshot()}
		for k, v := range before {
			if k != "lastSmoothedRttUs" && k != "lastMinRttUs" {
				reply.Quic[k] -= v
			}
		}
		if err != nil {
			reply.Error = err.Error()
		}
		if reply.Records == nil {
			reply.Records = []setupRecord{}
		}
		_ = out.Encode(reply)
	}
	return nil
}

func runSetups(server string, pin []byte, alpn string, cfg *quic.Config, req setupRequest) ([]setupRecord, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(req.TimeoutMs)*time.Millisecond)
	defer cancel()
	header := benchEchoHeader(req.Seed)
	var recs []setupRecord
	var cache tls.ClientSessionCache
	for i := 0; i < req.Connections; i++ {
		offered := req.Resume && i%2 == 1
		if req.Resume && i%2 == 0 {
			cache = tls.NewLRUClientSessionCache(4) // this pair's own: no ticket of another pair
		}
		tlsConf := pinnedTLS(pin, setupServerName, alpn)
		if req.Resume {
			tlsConf.ClientSessionCache = cache
		}
		rec, conn, err := oneSetup(ctx, server, tlsConf, cfg, append(append([]byte{}, header...), byte(i)))
		if err == nil && req.Resume && i%2 == 0 {
			// Outside the timed part, before closing: the ticket arrives after the handshake.
			deadline := time.Now().Add(ticketWait)
			for time.Now().Before(deadline) {
				if _, ok := cache.Get(setupServerName); ok {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		if conn != nil {
			_ = conn.CloseWithError(0, "")
		}
		if err != nil {
			return recs, fmt.Errorf("connection %d: %w", i, err)
		}
		rec.Offered = offered
		recs = append(recs, rec)
	}
	return recs, nil
}

// oneSetup dials, sends the request and verifies its echo; the caller closes the connection.
func oneSetup(ctx context.Context, server string, tlsConf *tls.Config, cfg *quic.Config, request []byte) (setupRecord, quic.Connection, error) {
	var rec setupRecord
	t0 := time.Now()
	// DialAddrEarly returns once 0-RTT data can be sent (resuming), else once the handshake completes.
	conn, err := quic.DialAddrEarlyContext(ctx, server, tlsConf, cfg)
	if err != nil {
		return rec, nil, err
	}
	rec.SetupUs = us(time.Since(t0))
	st, err := conn.OpenStreamSync(ctx)
	if err != nil {
		return rec, conn, err
	}
	if _, err := st.Write(request); err != nil {
		return rec, conn, err
	}
	back := make([]byte, len(request))
	if _, err := io.ReadFull(st, back); err != nil {
		return rec, conn, err
	}
	rec.FirstByteUs = us(time.Since(t0))
	if !bytes.Equal(back, request) {
		return rec, conn, errors.New("the echoed request differs from what was sent")
	}
	state := conn.ConnectionState().TLS
	rec.Resumed = state.DidResume
	rec.EarlyData = state.Used0RTT
	return rec, conn, nil
}

// benchEchoHeader is bench's stream header (harness/workloads/wire/protocol.ts) in echo mode.
func benchEchoHeader(seed uint32) []byte {
	h := make([]byte, 20)
	copy(h, "BNC1")
	h[4] = 1
	h[8], h[9], h[10], h[11] = byte(seed>>24), byte(seed>>16), byte(seed>>8), byte(seed)
	return h
}

func us(d time.Duration) float64 {
	return float64(d.Nanoseconds()/100) / 10
}

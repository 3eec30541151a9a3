package main

import (
	"io"
	"net"
	"sync"
	"sync/atomic"

	quic "github.com/lucas-clemente/quic-go"
)

// relay joins one QUIC stream and one TCP connection, in both directions, until both
// directions have ended.
//
//   - half-close: TCP EOF (peer's FIN / CloseWrite) -> stream.Close() (QUIC FIN);
//     QUIC FIN (io.EOF on stream read) -> TCPConn.CloseWrite().
//   - resets: a TCP error (ECONNRESET, EPIPE) -> CancelRead + CancelWrite on the stream
//     (STOP_SENDING + RESET_STREAM); a stream error (peer RESET_STREAM / STOP_SENDING,
//     connection lost) -> close the TCP connection with SO_LINGER 0, i.e. an RST. TCP has no
//     half-reset, so any reset aborts both directions.
//   - backpressure: each direction is a blocking read-then-write loop, so a slow TCP reader
//     stops stream reads (and quic-go's flow control stops the sender), and a full stream
//     send window stops TCP reads (and TCP's window stops the app).
type relay struct {
	st       quic.Stream
	rd       io.Reader // reads the stream; may hold bytes buffered while parsing a header
	tc       *net.TCPConn
	toStream *atomic.Int64 // bytes TCP -> stream
	toTCP    *atomic.Int64 // bytes stream -> TCP
	once     sync.Once
	aborted  atomic.Bool
}

// abort tears both sides down: RST on TCP when rst, reset both stream directions.
func (r *relay) abort(rst bool, code quic.StreamErrorCode) {
	r.once.Do(func() {
		r.aborted.Store(true)
		if rst {
			_ = r.tc.SetLinger(0)
		}
		_ = r.tc.Close()
		r.st.CancelRead(code)
		r.st.CancelWrite(code)
	})
}

// run relays until both directions end, then closes the TCP connection. before, if set,
// runs in the stream->TCP goroutine before any byte goes to TCP (while TCP->stream is already
// flowing) and returns false to stop there; the client uses it to read and strip the
// tunnel status line.
func (r *relay) run(before func(r *relay) bool) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); r.tcpToStream() }()
	go func() {
		defer wg.Done()
		if before != nil && !before(r) {
			return
		}
		r.streamToTCP()
	}()
	wg.Wait()
	_ = r.tc.Close()
}

func (r *relay) tcpToStream() {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for {
		n, rerr := r.tc.Read(buf)
		if n > 0 {
			if _, werr := r.st.Write(buf[:n]); werr != nil {
				r.abort(true, codeReset) // peer STOP_SENDING / reset, or connection lost
				return
			}
			r.toStream.Add(int64(n))
		}
		if rerr != nil {
			if rerr == io.EOF {
				_ = r.st.Close() // half-close: FIN on the stream
				return
			}
			r.abort(true, codeReset) // app reset the TCP connection (or we aborted)
			return
		}
	}
}

func (r *relay) streamToTCP() {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for {
		n, rerr := r.rd.Read(buf)
		if n > 0 {
			if _, werr := r.tc.Write(buf[:n]); werr != nil {
				r.abort(true, codeReset) // app closed/reset: stop the peer sending
				return
			}
			r.toTCP.Add(int64(n))
		}
		if rerr != nil {
			if rerr == io.EOF {
				_ = r.tc.CloseWrite() // half-close: FIN on TCP
				return
			}
			r.abort(true, codeReset) // peer RESET_STREAM, or connection lost
			return
		}
	}
}

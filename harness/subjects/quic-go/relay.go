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
	go func() { defer wg.Done(); r.half(r.st, r.tc, r.toStream, r.st.Close) }()
	go func() {
		defer wg.Done()
		if before != nil && !before(r) {
			return
		}
		r.half(r.tc, r.rd, r.toTCP, r.tc.CloseWrite)
	}()
	wg.Wait()
	_ = r.tc.Close()
}

// half relays one direction: src's EOF becomes a FIN on dst (fin); any read or write
// failure (a reset on either side, a lost connection, our own abort) aborts both directions.
func (r *relay) half(dst io.Writer, src io.Reader, n *atomic.Int64, fin func() error) {
	if rerr, werr := copyHalf(dst, src, n); rerr != nil || werr != nil {
		r.abort(true, codeReset)
		return
	}
	_ = fin()
}

// copyHalf copies src to dst through a pooled 64 KiB buffer, adding the bytes written to n,
// until src's EOF (both errors nil) or a failed read (rerr) or write (werr). Not io.Copy:
// src may be a bufio.Reader, whose WriteTo would cut every copy to its buffer's size.
func copyHalf(dst io.Writer, src io.Reader, n *atomic.Int64) (rerr, werr error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for {
		k, err := src.Read(buf)
		if k > 0 {
			if _, werr = dst.Write(buf[:k]); werr != nil {
				return nil, werr
			}
			n.Add(int64(k))
		}
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return err, nil
		}
	}
}

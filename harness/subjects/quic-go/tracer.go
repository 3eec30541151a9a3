package main

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/lucas-clemente/quic-go/logging"
)

// Process-wide QUIC packet counters, reported with the stats line so that reports can show
// loss and retransmission for quic-go cells (as they do from quiche's stats).
type quicCounters struct {
	connections     atomic.Int64
	packetsSent     atomic.Int64
	bytesSent       atomic.Int64
	packetsReceived atomic.Int64
	bytesReceived   atomic.Int64
	packetsLost     atomic.Int64
	packetsDeclared atomic.Int64
	packetsDropped  atomic.Int64
	ptoEvents       atomic.Int64
	lastSrttUs      atomic.Int64
	lastMinRttUs    atomic.Int64
}

var qc quicCounters

func (c *quicCounters) snapshot() map[string]int64 {
	return map[string]int64{
		"connections":         c.connections.Load(),
		"packetsSent":         c.packetsSent.Load(),
		"bytesSent":           c.bytesSent.Load(),
		"packetsReceived":     c.packetsReceived.Load(),
		"bytesReceived":       c.bytesReceived.Load(),
		"packetsLost":         c.packetsLost.Load(),
		"packetsDeclaredLost": c.packetsDeclared.Load(),
		"packetsDropped":      c.packetsDropped.Load(),
		"ptoEvents":           c.ptoEvents.Load(),
		"lastSmoothedRttUs":   c.lastSrttUs.Load(),
		"lastMinRttUs":        c.lastMinRttUs.Load(),
	}
}

type countingTracer struct{ logging.NullTracer }

func (countingTracer) TracerForConnection(context.Context, logging.Perspective, logging.ConnectionID) logging.ConnectionTracer {
	qc.connections.Add(1)
	return &connTracer{pending: map[logging.PacketNumber]struct{}{}}
}

// connTracer counts a connection's packets. "Lost" is counted from the acknowledgements, not
// from quic-go's LostPacket event: quic-go 0.29 re-sends the data of a packet a PTO fires
// for and declares that packet lost without reporting it (QueueProbePacket), so with one
// packet in flight (an echo) every loss went uncounted. Here a 1-RTT ack-eliciting packet is
// lost when an ACK covers a higher packet number but not it; ACK ranges repeat until they
// are acknowledged themselves, so a lost ACK does not make a packet look lost.
type connTracer struct {
	logging.NullConnectionTracer
	mu      sync.Mutex
	pending map[logging.PacketNumber]struct{}
}

func (t *connTracer) SentPacket(hdr *logging.ExtendedHeader, size logging.ByteCount, _ *logging.AckFrame, frames []logging.Frame) {
	qc.packetsSent.Add(1)
	qc.bytesSent.Add(int64(size))
	if hdr.IsLongHeader || len(frames) == 0 {
		return
	}
	t.mu.Lock()
	t.pending[hdr.PacketNumber] = struct{}{}
	t.mu.Unlock()
}

func (t *connTracer) ReceivedPacket(hdr *logging.ExtendedHeader, size logging.ByteCount, frames []logging.Frame) {
	qc.packetsReceived.Add(1)
	qc.bytesReceived.Add(int64(size))
	if hdr.IsLongHeader {
		return
	}
	for _, f := range frames {
		ack, ok := f.(*logging.AckFrame)
		if !ok || len(ack.AckRanges) == 0 {
			continue
		}
		largest := ack.AckRanges[0].Largest
		t.mu.Lock()
		for pn := range t.pending {
			if pn > largest {
				continue
			}
			delete(t.pending, pn)
			if !acked(ack.AckRanges, pn) {
				qc.packetsLost.Add(1)
			}
		}
		t.mu.Unlock()
	}
}

func acked(ranges []logging.AckRange, pn logging.PacketNumber) bool {
	for _, r := range ranges {
		if pn >= r.Smallest && pn <= r.Largest {
			return true
		}
	}
	return false
}

func (*connTracer) DroppedPacket(logging.PacketType, logging.ByteCount, logging.PacketDropReason) {
	qc.packetsDropped.Add(1)
}

func (*connTracer) LostPacket(logging.EncryptionLevel, logging.PacketNumber, logging.PacketLossReason) {
	qc.packetsDeclared.Add(1)
}

func (*connTracer) UpdatedPTOCount(v uint32) {
	if v > 0 {
		qc.ptoEvents.Add(1)
	}
}

func (*connTracer) UpdatedMetrics(rtt *logging.RTTStats, _, _ logging.ByteCount, _ int) {
	qc.lastSrttUs.Store(rtt.SmoothedRTT().Microseconds())
	qc.lastMinRttUs.Store(rtt.MinRTT().Microseconds())
}

var tracer logging.Tracer = countingTracer{}

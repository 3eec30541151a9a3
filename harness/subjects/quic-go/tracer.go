package main

import (
	"context"
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
	packetsDropped  atomic.Int64
	ptoEvents       atomic.Int64
	lastSrttUs      atomic.Int64
	lastMinRttUs    atomic.Int64
}

var qc quicCounters

func (c *quicCounters) snapshot() map[string]int64 {
	return map[string]int64{
		"connections":       c.connections.Load(),
		"packetsSent":       c.packetsSent.Load(),
		"bytesSent":         c.bytesSent.Load(),
		"packetsReceived":   c.packetsReceived.Load(),
		"bytesReceived":     c.bytesReceived.Load(),
		"packetsLost":       c.packetsLost.Load(),
		"packetsDropped":    c.packetsDropped.Load(),
		"ptoEvents":         c.ptoEvents.Load(),
		"lastSmoothedRttUs": c.lastSrttUs.Load(),
		"lastMinRttUs":      c.lastMinRttUs.Load(),
	}
}

type countingTracer struct{ logging.NullTracer }

func (countingTracer) TracerForConnection(context.Context, logging.Perspective, logging.ConnectionID) logging.ConnectionTracer {
	qc.connections.Add(1)
	return connTracer{}
}

type connTracer struct{ logging.NullConnectionTracer }

func (connTracer) SentPacket(_ *logging.ExtendedHeader, size logging.ByteCount, _ *logging.AckFrame, _ []logging.Frame) {
	qc.packetsSent.Add(1)
	qc.bytesSent.Add(int64(size))
}

func (connTracer) ReceivedPacket(_ *logging.ExtendedHeader, size logging.ByteCount, _ []logging.Frame) {
	qc.packetsReceived.Add(1)
	qc.bytesReceived.Add(int64(size))
}

func (connTracer) DroppedPacket(logging.PacketType, logging.ByteCount, logging.PacketDropReason) {
	qc.packetsDropped.Add(1)
}

func (connTracer) LostPacket(logging.EncryptionLevel, logging.PacketNumber, logging.PacketLossReason) {
	qc.packetsLost.Add(1)
}

func (connTracer) UpdatedPTOCount(v uint32) {
	if v > 0 {
		qc.ptoEvents.Add(1)
	}
}

func (connTracer) UpdatedMetrics(rtt *logging.RTTStats, _, _ logging.ByteCount, _ int) {
	qc.lastSrttUs.Store(rtt.SmoothedRTT().Microseconds())
	qc.lastMinRttUs.Store(rtt.MinRTT().Microseconds())
}

var tracer logging.Tracer = countingTracer{}

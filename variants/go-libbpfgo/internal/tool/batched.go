package tool

/*
#include <errno.h>
#include <bpf/libbpf.h>

// batched_sample.go's Go callback.
extern int batchedSample(void *ctx, void *data, size_t size);
*/
import "C"

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"

	bpf "github.com/aquasecurity/libbpfgo"
)

// batchedRing is -B's reader of a ring buffer map: libbpf's own ring_buffer, called through cgo
// (the libbpf.a that libbpfgo is linked with), because libbpfgo v0.10.0's RingBuffer cannot take
// what waits unsignalled: its Poll(timeout) loops on ring_buffer__poll, which reads only the
// rings epoll reports and on a timeout returns having read nothing, and it has no
// ring_buffer__consume (nor a way to reach its ring_buffer). The samples reach Go as
// libbpfgo's do: libbpf calls a Go callback (batchedSample), which copies the sample into a new
// []byte and sends it on the channel.
type batchedRing struct {
	rb       *C.struct_ring_buffer
	samples  chan []byte
	stopping atomic.Bool
	done     chan struct{}
	err      error // the poll's or the consume's failure, once done is closed
	once     sync.Once
}

// batchedSamples is the channel batchedSample sends on: one -B reader per process.
var batchedSamples chan<- []byte

func newBatchedRing(m *bpf.BPFMap, samples chan []byte) (*batchedRing, error) {
	batchedSamples = samples
	rb, err := C.ring_buffer__new(C.int(m.FileDescriptor()), C.ring_buffer_sample_fn(C.batchedSample), nil, nil)
	if rb == nil {
		return nil, err
	}
	return &batchedRing{rb: rb, samples: samples, done: make(chan struct{})}, nil
}

// poll starts the reading goroutine: it waits for a wakeup at most WakeupWaitMs
// (ring_buffer__poll), then, woken or timed out, takes whatever the ring holds
// (ring_buffer__consume), as c-libbpf's -B does. After stop it has consumed once more, every
// record submitted before the stop included; then it closes the channel.
func (r *batchedRing) poll() {
	go func() {
		defer close(r.done)
		defer close(r.samples)
		for !r.stopping.Load() {
			if n := C.ring_buffer__poll(r.rb, WakeupWaitMs); n < 0 && n != -C.EINTR {
				r.err = fmt.Errorf("polling ring buffer: %w", syscall.Errno(-n))
				return
			}
			if n := C.ring_buffer__consume(r.rb); n < 0 {
				r.err = fmt.Errorf("consuming ring buffer: %w", syscall.Errno(-n))
				return
			}
		}
	}()
}

// stop asks the goroutine to end after its next consume (within WakeupWaitMs).
func (r *batchedRing) stop() { r.stopping.Store(true) }

// close waits for the goroutine, taking what it still sends if no one does, and frees the
// ring_buffer. It returns the goroutine's failure.
func (r *batchedRing) close() error {
	r.once.Do(func() {
		r.stop()
		go func() {
			for range r.samples {
			}
		}()
		<-r.done
		C.ring_buffer__free(r.rb)
	})
	return r.err
}

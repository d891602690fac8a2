package tool

// #include <stddef.h>
import "C"

import "unsafe"

// batchedSample is -B's ring_buffer_sample_fn (batched.go), libbpfgo's ringbufferCallback for
// libbpf's own ring_buffer: the sample, copied, goes on the channel. (An exported function's
// file may declare C, not define it: hence a file of its own.)
//
//export batchedSample
func batchedSample(ctx, data unsafe.Pointer, size C.size_t) C.int {
	batchedSamples <- C.GoBytes(data, C.int(size))
	return 0
}

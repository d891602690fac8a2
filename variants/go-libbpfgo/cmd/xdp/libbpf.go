package main

// What libbpfgo v0.10.0 does not offer, called in libbpf itself (the libbpf.a that libbpfgo is
// linked with, through the Makefile's CGO_CFLAGS and CGO_LDFLAGS), plus two libc calls so
// that errors read as c-libbpf's: libbpfgo has no XDP link with attach flags
// (BPFProg.AttachXDP takes none, and AttachXDPLegacy, the only way to ask for generic mode, is
// a netlink attach, not a link: it would hold no link and outlive a killed process), and it
// exposes neither bpf_xdp_query nor a program's info (its id).

/*
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

// A BPF link of prog_fd on the generic (SKB) XDP hook of ifindex: its fd, or a negative errno.
static int xdp_generic_link(int prog_fd, int ifindex)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = XDP_FLAGS_SKB_MODE);

	return bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
}

// The id of prog_fd's program, and the ids of the programs on ifindex's driver and generic
// hooks. 0 or a negative errno.
static int xdp_ids(int ifindex, int prog_fd, __u32 *prog_id, __u32 *drv_id, __u32 *skb_id)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int err;

	err = bpf_prog_get_info_by_fd(prog_fd, &info, &len);
	if (!err)
		err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	*prog_id = info.id;
	*drv_id = q.drv_prog_id;
	*skb_id = q.skb_prog_id;
	return 0;
}
*/
import "C"

import (
	"syscall"
	"unsafe"
)

// xdpGenericLink attaches the program of progFD to ifindex's generic hook as a BPF link and
// returns the link's fd: closing it detaches.
func xdpGenericLink(progFD, ifindex int) (int, error) {
	fd := C.xdp_generic_link(C.int(progFD), C.int(ifindex))
	if fd < 0 {
		return -1, syscall.Errno(-fd)
	}
	return int(fd), nil
}

// attachMode tells which hook the kernel put the program of progFD on: "native" (the
// driver's), "generic", or "unknown".
func attachMode(ifindex, progFD int) string {
	var progID, drvID, skbID C.__u32
	if C.xdp_ids(C.int(ifindex), C.int(progFD), &progID, &drvID, &skbID) != 0 {
		return "unknown"
	}
	switch progID {
	case drvID:
		return "native"
	case skbID:
		return "generic"
	}
	return "unknown"
}

// ifNameToIndex is if_nametoindex(3), with its errno.
func ifNameToIndex(name string) (int, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	index, err := C.if_nametoindex(cname)
	if index == 0 {
		return 0, err
	}
	return int(index), nil
}

// strerror is libc's text of an errno ("Operation not permitted"; Go's reads "operation not
// permitted").
func strerror(errno syscall.Errno) string {
	return C.GoString(C.strerror(C.int(errno)))
}

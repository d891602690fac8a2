// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * produce: the flood's producer, the same for every framework. It takes a program the variant
 * loaded (by id, BPF_PROG_GET_FD_BY_ID) and runs it with BPF_PROG_TEST_RUN, REPEAT runs a call,
 * calls back to back until SECONDS have passed, on the CPU the harness pinned it to. Each run
 * writes a batch of records into the variant's ring buffer (bpf/flood.bpf.c).
 *
 *   produce PROG_ID SECONDS REPEAT
 *
 * Prints one line: runs=R wall_ns=W kernel_ns=K produced=P consumed=C unit=U (K: the kernel's own
 * run time, the sum of duration x repeat over the calls). With a ring buffer (U: bytes), P and C
 * are the bytes the ring's producer and consumer positions moved while it ran, read from the
 * ring's first two pages mapped read-only, so the reader's pace is seen without asking the
 * reader. A program that writes to a perf buffer instead (go-gobpf's, bpf/bcc/flood_perf.c) has
 * no such positions to read: P is then the records it wrote (U: records), the move of next_seq
 * in slot 0 of its array map flood_state, and C is -1, unknown. Exit 1 with one line on stderr
 * when a call fails.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * The program's map of the given type (and name, when one is given), or -1. With a ring buffer,
 * its consumer and producer positions are mapped read-only into *ring.
 */
static int program_map(int prog_fd, unsigned int type, const char *name, struct bpf_map_info *map)
{
	struct bpf_prog_info info = {0};
	unsigned int ids[8];
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	info.nr_map_ids = 8;
	info.map_ids = (unsigned long)ids;
	attr.info.bpf_fd = prog_fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (unsigned long)&info;
	if (bpf(BPF_OBJ_GET_INFO_BY_FD, &attr))
		return -1;
	for (unsigned int i = 0; i < info.nr_map_ids && i < 8; i++) {
		memset(&attr, 0, sizeof(attr));
		attr.map_id = ids[i];
		fd = bpf(BPF_MAP_GET_FD_BY_ID, &attr);
		if (fd < 0)
			continue;
		memset(&attr, 0, sizeof(attr));
		memset(map, 0, sizeof(*map));
		attr.info.bpf_fd = fd;
		attr.info.info_len = sizeof(*map);
		attr.info.info = (unsigned long)map;
		if (!bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) && map->type == type &&
		    (!name || !strncmp(map->name, name, sizeof(map->name))))
			return fd;
		close(fd);
	}
	return -1;
}

/* next_seq, the first u64 of slot 0 of flood_state (an array map), or -1ULL. */
static unsigned long long next_seq(int state_fd, unsigned int value_size)
{
	unsigned long long value[64] = {0};	/* up to 512 bytes; flood_state's is 16 */
	unsigned int key = 0;
	union bpf_attr attr;

	if (value_size > sizeof(value))
		return -1ULL;
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = state_fd;
	attr.key = (unsigned long)&key;
	attr.value = (unsigned long)value;
	return bpf(BPF_MAP_LOOKUP_ELEM, &attr) ? -1ULL : value[0];
}

int main(int argc, char **argv)
{
	unsigned char frame[64] = {0};	/* an Ethernet frame of zeros: the programs never read it */
	unsigned long long start, end, runs = 0, kernel_ns = 0;
	union bpf_attr attr;
	unsigned int repeat;
	double seconds;
	int fd;

	if (argc != 4 || (seconds = atof(argv[2])) <= 0 || !(repeat = strtoul(argv[3], NULL, 10))) {
		fprintf(stderr, "usage: produce PROG_ID SECONDS REPEAT\n");
		return 2;
	}
	memset(&attr, 0, sizeof(attr));
	attr.prog_id = strtoul(argv[1], NULL, 10);
	fd = bpf(BPF_PROG_GET_FD_BY_ID, &attr);
	if (fd < 0) {
		fprintf(stderr, "produce: program %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	long page = sysconf(_SC_PAGESIZE);
	volatile unsigned long *pos = NULL;
	unsigned long long cons0 = 0, prod0 = 0;
	struct bpf_map_info map;
	int ring = program_map(fd, BPF_MAP_TYPE_RINGBUF, NULL, &map), state = -1;

	if (ring >= 0) {
		void *mem = mmap(NULL, 2 * page, PROT_READ, MAP_SHARED, ring, 0);

		close(ring);
		if (mem == MAP_FAILED) {
			fprintf(stderr, "produce: program %s: ring buffer: mmap: %s\n", argv[1], strerror(errno));
			return 1;
		}
		pos = mem;
		cons0 = pos[0];
		prod0 = pos[page / sizeof(long)];
	} else if ((state = program_map(fd, BPF_MAP_TYPE_ARRAY, "flood_state", &map)) >= 0 &&
		   (prod0 = next_seq(state, map.value_size)) != -1ULL) {
		/* A perf buffer's: count the records written by the program's own sequence. */
	} else {
		fprintf(stderr, "produce: program %s: neither a ring buffer nor flood_state to watch\n", argv[1]);
		return 1;
	}
	start = now_ns();
	end = start + (unsigned long long)(seconds * 1e9);
	do {
		memset(&attr, 0, sizeof(attr));
		attr.test.prog_fd = fd;
		attr.test.data_in = (unsigned long)frame;
		attr.test.data_size_in = sizeof(frame);
		attr.test.repeat = repeat;
		if (bpf(BPF_PROG_TEST_RUN, &attr)) {
			fprintf(stderr, "produce: BPF_PROG_TEST_RUN: %s\n", strerror(errno));
			return 1;
		}
		runs += repeat;
		kernel_ns += (unsigned long long)attr.test.duration * repeat;
	} while (now_ns() < end);
	unsigned long long elapsed = now_ns() - start;

	if (pos)
		printf("runs=%llu wall_ns=%llu kernel_ns=%llu produced=%llu consumed=%llu unit=bytes\n", runs, elapsed,
		       kernel_ns, pos[page / sizeof(long)] - prod0, pos[0] - cons0);
	else
		printf("runs=%llu wall_ns=%llu kernel_ns=%llu produced=%llu consumed=-1 unit=records\n", runs, elapsed,
		       kernel_ns, next_seq(state, map.value_size) - prod0);
	return 0;
}

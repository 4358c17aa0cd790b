// SPDX-License-Identifier: GPL-2.0
/*
 * syscall_loop: the per-hit microbenchmark's probed function, called in a tight loop.
 *
 * Usage: syscall_loop N
 * Makes N getppid() system calls (each one call of __task_pid_nr_ns() in the kernel, where
 * scripts/bench puts the probes) and prints `calls=N ns_per_call=<ns>` on CLOCK_MONOTONIC.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec start, end;
	long calls, i;
	double ns;

	if (argc != 2 || (calls = atol(argv[1])) <= 0) {
		fprintf(stderr, "usage: syscall_loop N\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (i = 0; i < calls; i++)
		syscall(SYS_getppid);
	clock_gettime(CLOCK_MONOTONIC, &end);
	ns = (end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec);
	printf("calls=%ld ns_per_call=%.1f\n", calls, ns / calls);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * tcp_sender: many small send() calls over loopback TCP, for the benchmark.
 *
 * Usage: tcp_sender SECONDS [SIZE]
 * A child process receives; the parent sends SIZE-byte messages (default 64) with
 * TCP_NODELAY for SECONDS and prints "sends=N seconds=S rate=R" (sends per second).
 * Each send() is one tcp_sendmsg_locked() call in the kernel.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	double seconds, start, end;
	char buf[65536] = { 0 };
	unsigned long sends = 0;
	int server, client, one = 1;
	size_t size;
	pid_t child;

	if (argc < 2)
		return fprintf(stderr, "usage: %s SECONDS [SIZE]\n", argv[0]), 2;
	seconds = atof(argv[1]);
	size = argc > 2 ? (size_t)atoi(argv[2]) : 64;
	if (size == 0 || size > sizeof(buf))
		return fprintf(stderr, "SIZE must be 1 to %zu\n", sizeof(buf)), 2;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	server = socket(AF_INET, SOCK_STREAM, 0);
	if (server < 0 || bind(server, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(server, 1) || getsockname(server, (struct sockaddr *)&addr, &len))
		die("server");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		int conn = accept(server, NULL, NULL);

		if (conn < 0)
			die("accept");
		while (read(conn, buf, sizeof(buf)) > 0)
			;
		_exit(0);
	}
	close(server);
	client = socket(AF_INET, SOCK_STREAM, 0);
	if (client < 0 || connect(client, (struct sockaddr *)&addr, sizeof(addr)))
		die("connect");
	setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	start = now();
	end = start + seconds;
	do {
		for (int i = 0; i < 64; i++) {
			if (send(client, buf, size, 0) < 0)
				die("send");
		}
		sends += 64;
	} while (now() < end);
	end = now();
	close(client);
	waitpid(child, NULL, 0);
	printf("sends=%lu seconds=%.3f rate=%.1f\n", sends, end - start, sends / (end - start));
	return 0;
}

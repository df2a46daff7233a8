/* SPDX-License-Identifier: ISC */
/*
 * The benchmark's stopwatch: runs a command (or N copies of it at once)
 * with stdin from a file, and prints the wall time, the children's user
 * and system CPU time (from wait4), the largest peak RSS, and the worst
 * exit status, and the largest private (anonymous) resident memory seen
 * by sampling /proc every 2 ms:
 *   "WALL_US USER_US SYS_US MAXRSS_KB STATUS ANON_KB".
 * With -o the command's standard output goes to OUTPUT (e.g. /dev/null
 * for postie -P), so that it does not mix with that line.
 * MAXRSS counts the pages of shared libraries a process touched (most of
 * it libcrypto and libc); ANON is what the process itself allocated.
 *
 *   measure [-n N] [-i INPUT] [-o OUTPUT] -- COMMAND ARGS...
 *
 * Built by bench/run, not by the project's build.
 */
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXKIDS	256

static pid_t kids[MAXKIDS];
static int nkids;
static volatile int done;
static long maxanon;

static void *
sampler(void *arg)
{
	struct timespec ts = { 0, 2000000 };
	char path[64], line[256];
	FILE *fp;
	long v;
	int i;

	while (!done) {
		for (i = 0; i < nkids; i++) {
			snprintf(path, sizeof(path), "/proc/%d/status",
			    (int)kids[i]);
			if ((fp = fopen(path, "r")) == NULL)
				continue;
			while (fgets(line, sizeof(line), fp) != NULL)
				if (sscanf(line, "RssAnon: %ld", &v) == 1 &&
				    v > maxanon)
					maxanon = v;
			fclose(fp);
		}
		nanosleep(&ts, NULL);
	}
	return arg;
}

static long long
us(const struct timeval *tv)
{
	return (long long)tv->tv_sec * 1000000 + tv->tv_usec;
}

int
main(int argc, char **argv)
{
	const char *input = "/dev/null", *output = NULL;
	struct timespec t0, t1;
	struct rusage ru;
	long long user = 0, sys = 0, wall;
	long maxrss = 0;
	int n = 1, i, ch, st, worst = 0, fd;
	pthread_t th;
	pid_t pid;

	while ((ch = getopt(argc, argv, "n:i:o:")) != -1) {
		switch (ch) {
		case 'n': n = atoi(optarg); break;
		case 'i': input = optarg; break;
		case 'o': output = optarg; break;
		default: return 2;
		}
	}
	argv += optind;
	if (argv[0] == NULL || n < 1 || n > MAXKIDS)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		if ((pid = fork()) == -1) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			if ((fd = open(input, O_RDONLY)) == -1 ||
			    dup2(fd, 0) == -1) {
				perror(input);
				_exit(127);
			}
			close(fd);
			if (output != NULL) {
				if ((fd = open(output, O_WRONLY | O_CREAT |
				    O_TRUNC, 0644)) == -1 || dup2(fd, 1) == -1) {
					perror(output);
					_exit(127);
				}
				if (fd != 1)
					close(fd);
			}
			execvp(argv[0], argv);
			perror(argv[0]);
			_exit(127);
		}
		kids[nkids++] = pid;
	}
	pthread_create(&th, NULL, sampler, NULL);
	for (i = 0; i < n; i++) {
		if (wait4(-1, &st, 0, &ru) == -1)
			break;
		user += us(&ru.ru_utime);
		sys += us(&ru.ru_stime);
		if (ru.ru_maxrss > maxrss)
			maxrss = ru.ru_maxrss;
		st = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (st > worst)
			worst = st;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	done = 1;
	pthread_join(th, NULL);
	wall = (long long)(t1.tv_sec - t0.tv_sec) * 1000000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000;
	printf("%lld %lld %lld %ld %d %ld\n", wall, user, sys, maxrss, worst,
	    maxanon);
	return 0;
}

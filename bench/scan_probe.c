/* scan_probe: the scanner of the scan gate (verify/scan.c: loader, seccomp'd workers forked after the load)
 * run alone on a list of files, for bench/scan_gate.sh: engine load time, the workers' memory and the scan
 * cost per file with a given database directory. Built by the bench script against a build's static
 * libraries; not installed.
 * Usage: scan_probe DB_DIR WORKERS LIST   (LIST: one path per line). Prints key=value lines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "verify/scan.h"

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* kB of a /proc/PID file's field (VmHWM in status, Pss in smaps_rollup); 0 when unknown. */
static long proc_kb(int pid, const char *file, const char *field)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
	FILE *f = fopen(path, "r");
	long v = 0;
	size_t n = strlen(field);
	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	if (f != NULL)
		fclose(f);
	return v;
}

static unsigned findings;

static void count(void *arg, const char *kind, const char *member, const char *detail)
{
	findings++;
}

static void memory(struct sl_scanner *s, unsigned workers, const char *when)
{
	long hwm = 0, pss = 0, sum_hwm = 0;
	for (unsigned i = 0; i < workers; i++) {
		int pid = sl_scanner_worker_pid(s, i);
		if (pid <= 0)
			continue;
		long h = proc_kb(pid, "status", "VmHWM");
		hwm = h > hwm ? h : hwm;
		sum_hwm += h;
		pss += proc_kb(pid, "smaps_rollup", "Pss");
	}
	printf("%s_worker_hwm_mb=%.1f\n%s_workers_sum_hwm_mb=%.1f\n%s_workers_pss_mb=%.1f\n", when, hwm / 1024.0, when,
	       sum_hwm / 1024.0, when, pss / 1024.0);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: scan_probe DB_DIR WORKERS LIST\n");
		return 2;
	}
	struct sl_scan_limits lim = { .max_filesize = 100u << 20, .max_scansize = 400u << 20, .max_recursion = 17,
				      .workers = (unsigned)atoi(argv[2]) };
	char *cause = NULL;
	double t0 = now_s();
	struct sl_scanner *s = sl_scanner_start(argv[1], &lim, &cause);
	if (s == NULL) {
		fprintf(stderr, "scan_probe: %s\n", cause);
		return 1;
	}
	double t1 = now_s();
	unsigned workers = sl_scanner_workers(s);
	printf("signatures=%u\nworkers=%u\nload_s=%.2f\nstart_s=%.2f\n", sl_scanner_signatures(s), workers,
	       sl_scanner_load_seconds(s), t1 - t0);
	memory(s, workers, "loaded");
	FILE *list = fopen(argv[3], "r");
	char path[4096];
	unsigned files = 0;
	double bytes = 0;
	while (list != NULL && fgets(path, sizeof path, list) != NULL) {
		path[strcspn(path, "\n")] = '\0';
		struct stat st;
		if (stat(path, &st) != 0)
			continue;
		void *done;
		while (sl_scanner_idle(s) == 0)
			if (sl_scanner_wait(s, &done) < 0)
				fprintf(stderr, "scan_probe: a worker died\n");
		if (sl_scanner_submit(s, path, count, NULL) < 0) {
			fprintf(stderr, "scan_probe: no worker left\n");
			return 1;
		}
		files++;
		bytes += (double)st.st_size;
	}
	void *done;
	while (sl_scanner_wait(s, &done) != -ENOENT)
		;
	double t2 = now_s();
	memory(s, workers, "end");
	sl_scanner_stop(s);
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
		     ru.ru_stime.tv_usec / 1e6;
	printf("files=%u\nfile_mb=%.1f\nfindings=%u\nscan_wall_s=%.2f\nchildren_cpu_s=%.2f\n", files, bytes / 1048576,
	       findings, t2 - t1, cpu);
	if (files > 0)
		printf("wall_ms_per_file=%.2f\n", (t2 - t1) * 1000 / files);
	return 0;
}

/* spawn_time.c — times whole processes for the startup bench: runs each command RUNS
 * times, taking turns (so a busy moment of the machine hits every command alike), each
 * started with posix_spawnp and waited for with wait4, its output thrown away. Prints
 * one line per command: median and best wall time, and median CPU time (user + system,
 * from the kernel: what the process itself cost, whatever else the machine was doing).
 * A shell loop would time its own fork of date(1) along with the command.
 * Usage: spawn_time RUNS LABEL CMD [ARG...] -- LABEL CMD [ARG...] [-- ...] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

#define MAX_CMDS 8

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: spawn_time RUNS LABEL CMD [ARG...] [-- LABEL CMD [ARG...]]...\n");
    return 2;
  }
  int runs = atoi(argv[1]);
  if (runs < 1) runs = 1;
  char **cmd[MAX_CMDS];
  const char *label[MAX_CMDS];
  int ncmd = 0;
  for (int i = 2; i < argc && ncmd < MAX_CMDS;) {
    label[ncmd] = argv[i++];
    cmd[ncmd++] = &argv[i];
    while (i < argc && strcmp(argv[i], "--") != 0) i++;
    if (i < argc) argv[i++] = NULL; /* ends this command's argv */
  }
  double *wall = calloc((size_t)ncmd * runs, sizeof *wall), *cpu = calloc((size_t)ncmd * runs, sizeof *cpu);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  if (!wall || !cpu) return 1;
  for (int r = -1; r < runs; r++) { /* round -1 warms the page cache, not counted */
    for (int c = 0; c < ncmd; c++) {
      pid_t pid;
      double t0 = now();
      if (posix_spawnp(&pid, cmd[c][0], &fa, NULL, cmd[c], environ) != 0) {
        fprintf(stderr, "spawn_time: cannot run %s\n", cmd[c][0]);
        return 1;
      }
      int st;
      struct rusage ru;
      if (wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "spawn_time: %s failed\n", label[c]);
        return 1;
      }
      double t1 = now();
      if (r < 0) continue;
      wall[c * runs + r] = t1 - t0;
      cpu[c * runs + r] = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                          ru.ru_stime.tv_usec / 1e6;
    }
  }
  for (int c = 0; c < ncmd; c++) {
    double *w = wall + c * runs, *u = cpu + c * runs;
    double med = median(w, runs), best = w[0], cmed = median(u, runs);
    printf("%s\t%.3f\t%.3f\t%.3f\n", label[c], med * 1e3, best * 1e3, cmed * 1e3);
  }
  return 0;
}

/* main.c — bin/fashn-emu: parses the flags (emu.h), starts the emulator, prints the one
 * "listening" line scripts wait for, and stops cleanly on SIGINT/SIGTERM. */
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "../lazy/lazy.h"
#include "emu.h"

int main(int argc, char **argv) {
  const char *prog = "fashn-emu";
  bool exit_with_parent = false;
  /* --exit-with-parent concerns this process, not the library: take it out first. */
  int n = 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--exit-with-parent")) exit_with_parent = true;
    else argv[n++] = argv[i];
  }
  argc = n;

  emu_config cfg;
  emu_config_defaults(&cfg);
  char err[300];
  int rc = emu_config_parse(&cfg, argc, argv, err, sizeof err);
  if (rc == 1) {
    emu_config_usage(stdout, prog);
    return 0;
  }
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", prog, err);
    return 2;
  }

  /* Signals are taken synchronously by sigwait below: block them before any thread starts
   * so every thread inherits the mask and no handler ever runs. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);
  if (exit_with_parent) {
    pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) return 0; /* it died before we asked */
  }

  /* libcurl loads on first use (runtime/lazy/): a machine without it is told so here */
  if (!lazy_need(LAZY_FOR_HTTP, err, sizeof err)) {
    fprintf(stderr, "%s: %s\n", prog, err);
    return 1;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  emu *e = emu_start(&cfg, err, sizeof err);
  if (!e) {
    fprintf(stderr, "%s: %s\n", prog, err);
    curl_global_cleanup();
    return 1;
  }
  printf("fashn-emu listening on %s\n", emu_url(e));
  fflush(stdout);

  int sig = 0;
  sigwait(&stop, &sig);
  emu_stop(e);
  curl_global_cleanup();
  return 0;
}

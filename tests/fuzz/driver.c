/* driver.c — runs a libFuzzer target's LLVMFuzzerTestOneInput over files (the corpus
 * and every saved crash) without libFuzzer, so `make test` replays them with gcc and
 * `make asan` under sanitizers. Prints the RESULT line tests/run adds up. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *data = malloc(n > 0 ? (size_t)n : 1);
  size_t got = n > 0 ? fread(data, 1, (size_t)n, f) : 0;
  fclose(f);
  LLVMFuzzerTestOneInput(data, got); /* a crash here fails the suite */
  free(data);
  return 0;
}

int main(int argc, char **argv) {
  int passed = 0, failed = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      DIR *d = opendir(argv[i]);
      struct dirent *e;
      while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
        if (run_file(p) == 0) passed++;
        else failed++;
      }
      if (d) closedir(d);
    } else if (run_file(argv[i]) == 0) {
      passed++;
    } else {
      failed++;
    }
  }
  const char *name = strrchr(argv[0], '/');
  printf("ok   fuzz replay %s: %d inputs\n", name ? name + 1 : argv[0], passed);
  printf("RESULT passed=%d failed=%d skipped=0\n", passed ? 1 : 0, failed ? 1 : 0);
  return failed ? 1 : 0;
}

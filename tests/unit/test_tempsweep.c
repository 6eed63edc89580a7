/* test_tempsweep.c — the temporaries a killed save leaves beside its target are removed by
 * the next write in that folder (only those of dead processes, only regular files), and
 * nothing else is touched. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../runtime/image/image.h"
#include "../../runtime/io/tempsweep.h"
#include "../../runtime/page/page_book.h"
#include "unit.h"

static void make_dir(char *dir) {
  strcpy(dir, "/tmp/atelier-sweep-XXXXXX");
  if (!mkdtemp(dir)) unit_fail(__FILE__, __LINE__, "mkdtemp failed");
}

static void rm_rf(const char *dir) {
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) unit_fail(__FILE__, __LINE__, "cannot remove %s", dir);
}

static void touch(const char *dir, const char *name) {
  char path[300];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f) unit_fail(__FILE__, __LINE__, "cannot write %s", path);
  fputs("half a PNG", f);
  fclose(f);
}

static int there(const char *dir, const char *name) {
  char path[300];
  struct stat st;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return lstat(path, &st) == 0;
}

/* The pid of a process that has ended (a child, reaped). */
static long dead_pid(void) {
  pid_t p = fork();
  if (p == 0) _exit(0);
  REQUIRE(p > 0);
  int st;
  REQUIRE(waitpid(p, &st, 0) == p);
  return (long)p;
}

TEST(tempsweep_parses_only_the_temporaries_safe_temp_beside_names) {
  long pid = 0;
  CHECK(temp_sweep_parse("house.png.tmp-4242-3-0f50f2", &pid));
  CHECK_INT(pid, 4242);
  CHECK(temp_sweep_parse("a.tmp-1-2-ab.png.tmp-77-8-ff", &pid)); /* the last one counts */
  CHECK_INT(pid, 77);
  CHECK(!temp_sweep_parse("house.png", &pid));
  CHECK(!temp_sweep_parse(".tmp-12-3-ab", &pid)); /* no target name */
  CHECK(!temp_sweep_parse("a.png.tmp-12-3", &pid));
  CHECK(!temp_sweep_parse("a.png.tmp-12-3-xyz", &pid));
  CHECK(!temp_sweep_parse("a.png.tmp-12-3-ab~", &pid));
  CHECK(!temp_sweep_parse("a.png.tmp-0-3-ab", &pid));
  CHECK(!temp_sweep_parse("a.png.tmp--3-ab", &pid));
  CHECK(!temp_sweep_parse("a.png.tmp-99999999999999999999999-3-ab", &pid));
}

TEST(tempsweep_removes_a_dead_writers_temporaries_and_nothing_else) {
  char dir[64], name[128], mine[128], live[128], folder[128], link[128], path[200];
  make_dir(dir);
  long dead = dead_pid();
  snprintf(name, sizeof name, "studio.pdf.tmp-%ld-8-1d8984", dead);
  snprintf(mine, sizeof mine, "house.png.tmp-%ld-1-52fe94", (long)getpid());
  snprintf(live, sizeof live, "house.png.tmp-%ld-1-52fe95", (long)getppid()); /* alive */
  snprintf(folder, sizeof folder, "looks.tmp-%ld-2-abcdef", dead);
  snprintf(link, sizeof link, "x.png.tmp-%ld-3-abcdef", dead);
  touch(dir, name);
  touch(dir, mine);
  touch(dir, live);
  touch(dir, "notes.txt");
  touch(dir, "studio.pdf");
  snprintf(path, sizeof path, "%s/%s", dir, folder);
  REQUIRE(mkdir(path, 0777) == 0);
  snprintf(path, sizeof path, "%s/%s", dir, link);
  REQUIRE(symlink("/etc/hostname", path) == 0);

  snprintf(path, sizeof path, "%s/studio.pdf", dir);
  CHECK_INT(temp_sweep_beside(path), 1);
  CHECK(!there(dir, name));
  CHECK(there(dir, mine));
  CHECK(there(dir, live));
  CHECK(there(dir, "notes.txt"));
  CHECK(there(dir, "studio.pdf"));
  CHECK(there(dir, folder));
  CHECK(there(dir, link));
  /* once per folder and process: the next write there does not read it again */
  touch(dir, name);
  CHECK_INT(temp_sweep_beside(path), 0);
  rm_rf(dir);
}

TEST(tempsweep_runs_when_an_image_or_a_page_file_is_written) {
  char dir[64], stale[128], path[200], err[300];
  make_dir(dir);
  snprintf(stale, sizeof stale, "look.png.tmp-%ld-1-00ab12", dead_pid());
  touch(dir, stale);
  snprintf(path, sizeof path, "%s/other.png", dir);
  CHECK_INT(image_write_file(path, "bytes", 5, err, sizeof err), IMAGE_OK);
  CHECK(!there(dir, stale));
  CHECK(there(dir, "other.png"));
  rm_rf(dir);

  make_dir(dir);
  snprintf(stale, sizeof stale, "index.html.tmp-%ld-15-701bd9", dead_pid());
  touch(dir, stale);
  snprintf(path, sizeof path, "%s/index.html", dir);
  CHECK(page_write_file(path, "<html>", 6, err, sizeof err));
  CHECK(!there(dir, stale));
  CHECK(there(dir, "index.html"));
  rm_rf(dir);
}

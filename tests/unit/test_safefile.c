/* test_safefile.c — opening and creating without following planted links: the last
 * component never followed, every component refused under a root, FIFOs and devices
 * refused as inputs without waiting. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../runtime/io/safefile.h"
#include "unit.h"

static void make_tmpdir(char *dir) {
  strcpy(dir, "/tmp/atelier-safe-XXXXXX");
  if (!mkdtemp(dir)) unit_fail(__FILE__, __LINE__, "mkdtemp failed");
  char real[4096];
  if (!realpath(dir, real) || strlen(real) >= 64) unit_fail(__FILE__, __LINE__, "realpath failed");
  strcpy(dir, real); /* a root must be free of links itself */
}

static void rm_rf(const char *dir) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) unit_fail(__FILE__, __LINE__, "cannot remove %s", dir);
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f) unit_fail(__FILE__, __LINE__, "cannot write %s", path);
  fputs(text, f);
  fclose(f);
}

static bool text_is(const char *path, const char *want) {
  char got[256] = "";
  FILE *f = fopen(path, "r");
  if (!f) return false;
  size_t n = fread(got, 1, sizeof got - 1, f);
  got[n] = '\0';
  fclose(f);
  return strcmp(got, want) == 0;
}

TEST(safe_open_creates_and_writes_plain_files) {
  char dir[64], path[128], err[300];
  make_tmpdir(dir);
  snprintf(path, sizeof path, "%s/a.txt", dir);
  int fd = safe_open(NULL, path, O_WRONLY | O_CREAT | O_TRUNC, 0666, 0, err, sizeof err);
  CHECK(fd >= 0);
  CHECK(write(fd, "hi", 2) == 2);
  close(fd);
  CHECK(text_is(path, "hi"));
  fd = safe_open(dir, path, O_WRONLY | O_TRUNC, 0, 0, err, sizeof err); /* also under a root */
  CHECK(fd >= 0);
  close(fd);
  rm_rf(dir);
}

TEST(safe_open_never_follows_a_link_at_the_last_component) {
  char dir[64], victim[128], link[128], dangling[128], err[300];
  make_tmpdir(dir);
  snprintf(victim, sizeof victim, "%s/victim", dir);
  snprintf(link, sizeof link, "%s/link", dir);
  snprintf(dangling, sizeof dangling, "%s/dangling", dir);
  write_text(victim, "precious");
  CHECK(symlink(victim, link) == 0);
  CHECK(symlink("/tmp/atelier-safe-never-created", dangling) == 0);
  CHECK_INT(safe_open(NULL, link, O_WRONLY | O_CREAT | O_TRUNC, 0666, 0, err, sizeof err), -1);
  CHECK(strstr(err, "is a symbolic link") != NULL);
  CHECK_INT(safe_open(NULL, dangling, O_WRONLY | O_CREAT, 0666, 0, err, sizeof err), -1);
  CHECK(strstr(err, "is a symbolic link") != NULL);
  CHECK(text_is(victim, "precious"));
  CHECK(access("/tmp/atelier-safe-never-created", F_OK) != 0);
  rm_rf(dir);
}

TEST(safe_open_never_writes_into_a_file_with_other_hard_links) {
  char dir[64], victim[128], planted[128], err[300];
  make_tmpdir(dir);
  snprintf(victim, sizeof victim, "%s/victim", dir);
  snprintf(planted, sizeof planted, "%s/planted", dir);
  write_text(victim, "precious");
  CHECK(link(victim, planted) == 0);
  CHECK_INT(safe_open(NULL, planted, O_WRONLY | O_CREAT | O_TRUNC, 0666, 0, err, sizeof err), -1);
  CHECK(strstr(err, "other hard links") != NULL);
  CHECK(text_is(victim, "precious")); /* not even truncated */
  int fd = safe_open(NULL, planted, O_RDONLY, 0, 0, err, sizeof err); /* reading is harmless */
  CHECK(fd >= 0);
  close(fd);
  rm_rf(dir);
}

TEST(safe_open_refuses_a_fifo_without_waiting_for_a_reader) {
  char dir[64], fifo[128], err[300];
  make_tmpdir(dir);
  snprintf(fifo, sizeof fifo, "%s/fifo", dir);
  CHECK(mkfifo(fifo, 0666) == 0);
  /* O_RDWR would open a FIFO at once anyway; O_WRONLY is the one that would block */
  CHECK_INT(safe_open(NULL, fifo, O_WRONLY | O_CREAT, 0666, 0, err, sizeof err), -1);
  rm_rf(dir);
}

TEST(safe_open_under_a_root_refuses_a_link_in_any_component) {
  char dir[64], root[128], elsewhere[128], link[160], path[200], err[300], abs[4096];
  make_tmpdir(dir);
  snprintf(root, sizeof root, "%s/root", dir);
  snprintf(elsewhere, sizeof elsewhere, "%s/elsewhere", dir);
  CHECK(mkdir(root, 0777) == 0 && mkdir(elsewhere, 0777) == 0);
  snprintf(link, sizeof link, "%s/sub", root);
  CHECK(symlink(elsewhere, link) == 0);
  snprintf(path, sizeof path, "%s/sub/x.txt", root);
  CHECK_INT(safe_open(root, path, O_WRONLY | O_CREAT, 0666, 0, err, sizeof err), -1);
  CHECK(strstr(err, "sub is a symbolic link") != NULL);
  CHECK(!safe_check(root, path, abs, sizeof abs, err, sizeof err));
  /* without a root the user's own folders are followed */
  int fd = safe_open(NULL, path, O_WRONLY | O_CREAT, 0666, 0, err, sizeof err);
  CHECK(fd >= 0);
  close(fd);
  /* outside the root, or climbing out with "..", is refused */
  snprintf(path, sizeof path, "%s/elsewhere/y.txt", dir);
  CHECK(!safe_check(root, path, abs, sizeof abs, err, sizeof err));
  CHECK_INT(errno, EXDEV);
  snprintf(path, sizeof path, "%s/../elsewhere/y.txt", root);
  CHECK(!safe_check(root, path, abs, sizeof abs, err, sizeof err));
  /* missing folders are fine for a check; the path comes back absolute */
  snprintf(path, sizeof path, "%s/new/deeper/z.txt", root);
  CHECK(safe_check(root, path, abs, sizeof abs, err, sizeof err));
  CHECK_STR(abs, path);
  rm_rf(dir);
}

TEST(safe_mkdir_creates_folders_and_refuses_links_in_their_place) {
  char dir[64], path[160], link[128], err[300];
  make_tmpdir(dir);
  snprintf(path, sizeof path, "%s/a/b/c", dir);
  CHECK_INT(safe_mkdir(NULL, path, 0, err, sizeof err), -1); /* parents missing */
  int fd = safe_mkdir(dir, path, SAFE_MKDIRS, err, sizeof err);
  CHECK(fd >= 0);
  close(fd);
  fd = safe_mkdir(NULL, path, 0, err, sizeof err); /* already there: reused */
  CHECK(fd >= 0);
  close(fd);
  snprintf(link, sizeof link, "%s/l", dir);
  CHECK(symlink(dir, link) == 0);
  CHECK_INT(safe_mkdir(NULL, link, 0, err, sizeof err), -1);
  CHECK(strstr(err, "is a symbolic link") != NULL);
  rm_rf(dir);
}

TEST(safe_temp_beside_makes_a_fresh_file_with_the_usual_mode) {
  char dir[64], path[128], tmp[256], err[300];
  make_tmpdir(dir);
  snprintf(path, sizeof path, "%s/out.png", dir);
  mode_t mask = umask(022);
  int fd = safe_temp_beside(path, 0, tmp, sizeof tmp, err, sizeof err);
  umask(mask);
  CHECK(fd >= 0);
  struct stat st;
  CHECK(fstat(fd, &st) == 0);
  CHECK_INT(st.st_mode & 0777, 0644);
  CHECK(strncmp(tmp, path, strlen(path)) == 0 && strstr(tmp, ".tmp-") != NULL);
  close(fd);
  rm_rf(dir);
}

TEST(safe_temp_beside_creates_missing_folders_from_the_write_root) {
  char dir[64], path[PATH_MAX + 64], tmp[PATH_MAX + 128], err[PATH_MAX + 300], real[PATH_MAX], link[PATH_MAX + 16];
  make_tmpdir(dir);
  CHECK(realpath(dir, real) != NULL);
  /* without SAFE_MKDIRS a missing folder is an error, as before */
  snprintf(path, sizeof path, "%s/a/b/out.png", real);
  CHECK_INT(safe_temp_beside(path, 0, tmp, sizeof tmp, err, sizeof err), -1);
  int fd = safe_temp_beside(path, SAFE_MKDIRS, tmp, sizeof tmp, err, sizeof err);
  CHECK(fd >= 0);
  close(fd);
  unlink(tmp);
  struct stat st;
  CHECK(stat(path, &st) != 0 && stat(tmp, &st) != 0);
  snprintf(tmp, sizeof tmp, "%s/a/b", real);
  CHECK(stat(tmp, &st) == 0 && S_ISDIR(st.st_mode));
  /* under a file: refused */
  snprintf(tmp, sizeof tmp, "%s/file", real);
  write_text(tmp, "x");
  snprintf(path, sizeof path, "%s/file/c/out.png", real);
  CHECK_INT(safe_temp_beside(path, SAFE_MKDIRS, tmp, sizeof tmp, err, sizeof err), -1);
  /* with a write root (--sandbox's --out): a path outside it, or through a link under
   * it, creates nothing */
  snprintf(tmp, sizeof tmp, "%s/root", real);
  CHECK(mkdir(tmp, 0777) == 0);
  snprintf(link, sizeof link, "%s/root/l", real);
  CHECK(symlink(real, link) == 0);
  safe_set_write_root(tmp);
  CHECK(strcmp(safe_write_root(), tmp) == 0);
  snprintf(path, sizeof path, "%s/outside/out.png", real);
  CHECK_INT(safe_temp_beside(path, SAFE_MKDIRS, tmp, sizeof tmp, err, sizeof err), -1);
  CHECK_INT(errno, EXDEV);
  snprintf(path, sizeof path, "%s/root/l/new/out.png", real);
  CHECK_INT(safe_temp_beside(path, SAFE_MKDIRS, tmp, sizeof tmp, err, sizeof err), -1);
  snprintf(tmp, sizeof tmp, "%s/new", real);
  CHECK(stat(tmp, &st) != 0);
  snprintf(path, sizeof path, "%s/root/x/y/out.png", real);
  fd = safe_temp_beside(path, SAFE_MKDIRS, tmp, sizeof tmp, err, sizeof err);
  CHECK(fd >= 0);
  close(fd);
  unlink(tmp);
  safe_set_write_root(NULL);
  CHECK(safe_write_root() == NULL);
  rm_rf(dir);
}

TEST(safe_open_regular_refuses_fifos_and_devices_at_once) {
  char dir[64], fifo[128], file[128], err[300];
  make_tmpdir(dir);
  snprintf(fifo, sizeof fifo, "%s/fifo", dir);
  snprintf(file, sizeof file, "%s/f", dir);
  CHECK(mkfifo(fifo, 0666) == 0);
  write_text(file, "12345");
  CHECK_INT(safe_open_regular(fifo, 0, NULL, err, sizeof err), -1);
  CHECK(strstr(err, "FIFO") != NULL);
  CHECK_INT(safe_open_regular("/dev/zero", 0, NULL, err, sizeof err), -1);
  CHECK(strstr(err, "character device") != NULL);
  CHECK_INT(safe_open_regular(dir, 0, NULL, err, sizeof err), -1);
  CHECK_INT(safe_open_regular(file, 4, NULL, err, sizeof err), -1);
  CHECK_INT(errno, EFBIG);
  uint64_t size = 0;
  int fd = safe_open_regular(file, 5, &size, err, sizeof err);
  CHECK(fd >= 0);
  CHECK_INT((int)size, 5);
  CHECK(!(fcntl(fd, F_GETFL) & O_NONBLOCK)); /* reads block normally afterwards */
  close(fd);
  rm_rf(dir);
}

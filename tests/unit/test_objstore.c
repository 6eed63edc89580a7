/* test_objstore.c — the content-addressed output store: atomic puts, verification on
 * read, damaged objects (a FIFO included) noticed and repaired by a new
 * put, and no write through a planted link. */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../runtime/journal/objstore.h"
#include "unit.h"

static void make_tmpdir(char *dir) {
  strcpy(dir, "/tmp/atelier-obj-XXXXXX");
  REQUIRE(mkdtemp(dir) != NULL); /* every caller goes on to write under it */
}

static void rm_rf(const char *dir) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) unit_fail(__FILE__, __LINE__, "cannot remove %s", dir);
}

/* Counts the entries of a directory whose names start with prefix. */
static int count_entries(const char *dir, const char *prefix) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
      n++;
  closedir(d);
  return n;
}

TEST(objstore_puts_under_the_content_hash_and_reads_back) {
  char dir[64], objects[128], err[400], hex[SHA256_HEX_LEN + 1], path[512];
  make_tmpdir(dir);
  snprintf(objects, sizeof objects, "%s/deep/objects", dir); /* parents created too */
  REQUIRE(objstore_put(objects, "abc", 3, hex, err, sizeof err));
  CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  REQUIRE(objstore_path(objects, hex, path, sizeof path));
  char want[256];
  snprintf(want, sizeof want, "%s/ba/7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
           objects);
  CHECK_STR(path, want);
  struct stat st;
  CHECK(stat(path, &st) == 0 && st.st_size == 3);
  buf b = BUF_INIT;
  CHECK(objstore_read(objects, hex, &b, err, sizeof err) == OBJ_OK);
  CHECK(b.len == 3 && memcmp(b.data, "abc", 3) == 0);
  buf_free(&b);
  /* no temporary file left behind */
  char sub[200];
  snprintf(sub, sizeof sub, "%s/ba", objects);
  CHECK_INT(count_entries(sub, ".tmp"), 0);
  /* the same bytes again: nothing changes */
  CHECK(objstore_put(objects, "abc", 3, hex, err, sizeof err));
  CHECK_INT(count_entries(sub, ""), 1);
  rm_rf(dir);
}

TEST(objstore_notices_missing_and_corrupt_objects) {
  char dir[64], err[400], hex[SHA256_HEX_LEN + 1], path[512];
  make_tmpdir(dir);
  REQUIRE(objstore_put(dir, "finished image", 14, hex, err, sizeof err));
  CHECK(objstore_verify(dir, hex, err, sizeof err) == OBJ_OK);
  REQUIRE(objstore_path(dir, hex, path, sizeof path));
  /* truncated (as a crash in a naive writer would leave it) */
  CHECK(truncate(path, 5) == 0);
  buf b = BUF_INIT;
  buf_append_str(&b, "keep");
  CHECK(objstore_read(dir, hex, &b, err, sizeof err) == OBJ_CORRUPT);
  CHECK(strstr(err, "corrupt") != NULL);
  CHECK(b.len == 4); /* the caller's buffer is untouched */
  buf_free(&b);
  /* a put of the right bytes repairs it */
  CHECK(objstore_put(dir, "finished image", 14, hex, err, sizeof err));
  CHECK(objstore_verify(dir, hex, err, sizeof err) == OBJ_OK);
  unlink(path);
  CHECK(objstore_verify(dir, hex, err, sizeof err) == OBJ_MISSING);
  CHECK(objstore_verify(dir, "../../etc/passwd", err, sizeof err) == OBJ_ERROR);
  CHECK_STR(obj_status_name(OBJ_CORRUPT), "corrupt");
  rm_rf(dir);
}

TEST(objstore_reports_a_store_it_cannot_write) {
  char dir[64], err[400], hex[SHA256_HEX_LEN + 1], file[128];
  make_tmpdir(dir);
  snprintf(file, sizeof file, "%s/plainfile", dir);
  FILE *f = fopen(file, "w");
  REQUIRE(f != NULL);
  fclose(f);
  CHECK(!objstore_put(file, "x", 1, hex, err, sizeof err)); /* a file where the store should be */
  CHECK(err[0] != '\0');
  rm_rf(dir);
}

TEST(objstore_sweeps_what_a_crashed_put_left_behind) {
  char dir[64], err[400], hex[SHA256_HEX_LEN + 1], sub[128], tmp[200];
  make_tmpdir(dir);
  REQUIRE(objstore_put(dir, "kept", 4, hex, err, sizeof err));
  snprintf(sub, sizeof sub, "%s/%.2s", dir, hex);
  snprintf(tmp, sizeof tmp, "%s/.tmp-deadbeef-1-1", sub);
  FILE *f = fopen(tmp, "w");
  REQUIRE(f != NULL);
  fputs("half an image", f);
  fclose(f);
  CHECK_INT(objstore_sweep_temps(dir), 1);
  CHECK_INT(count_entries(sub, ".tmp"), 0);
  CHECK(objstore_verify(dir, hex, err, sizeof err) == OBJ_OK); /* objects stay */
  rm_rf(dir);
}

TEST(objstore_never_writes_through_a_planted_link) {
  char dir[64], objects[128], elsewhere[128], sub[160], err[400], hex[SHA256_HEX_LEN + 1];
  make_tmpdir(dir);
  snprintf(objects, sizeof objects, "%s/objects", dir);
  snprintf(elsewhere, sizeof elsewhere, "%s/elsewhere", dir);
  CHECK(mkdir(elsewhere, 0777) == 0);
  /* the objects folder itself a link */
  CHECK(symlink(elsewhere, objects) == 0);
  CHECK(!objstore_put(objects, "abc", 3, hex, err, sizeof err));
  CHECK(strstr(err, "symbolic link") != NULL);
  CHECK_INT(count_entries(elsewhere, ""), 0);
  /* a real objects folder with one of its subfolders a link */
  CHECK(unlink(objects) == 0);
  CHECK(mkdir(objects, 0777) == 0);
  snprintf(sub, sizeof sub, "%s/ba", objects); /* "abc" hashes to ba78... */
  CHECK(symlink(elsewhere, sub) == 0);
  CHECK(!objstore_put(objects, "abc", 3, hex, err, sizeof err));
  CHECK(strstr(err, "symbolic link") != NULL);
  CHECK_INT(count_entries(elsewhere, ""), 0);
  rm_rf(dir);
}

TEST(objstore_treats_a_fifo_in_the_store_as_damage_without_waiting) {
  char dir[64], err[400], hex[SHA256_HEX_LEN + 1], path[512];
  make_tmpdir(dir);
  CHECK(objstore_put(dir, "abc", 3, hex, err, sizeof err));
  CHECK(objstore_path(dir, hex, path, sizeof path));
  CHECK(unlink(path) == 0 && mkfifo(path, 0666) == 0); /* a read would wait for a writer forever */
  CHECK_INT(objstore_verify(dir, hex, err, sizeof err), OBJ_CORRUPT);
  CHECK(objstore_put(dir, "abc", 3, hex, err, sizeof err)); /* repaired */
  CHECK_INT(objstore_verify(dir, hex, err, sizeof err), OBJ_OK);
  rm_rf(dir);
}

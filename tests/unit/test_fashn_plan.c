/* test_fashn_plan.c — a dry run's plan: prompts clipped and escaped for one table line,
 * totals that leave cached jobs out, the JSON that tools read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../runtime/base/json.h"
#include "../../runtime/fashn/fashn_plan.h"
#include "unit.h"

TEST(plan_clips_prompts_at_forty_characters_and_escapes_control_characters) {
  char out[4 * FASHN_PLAN_PROMPT + 8];
  const char *p = "tall model\tin a linen suit\n golden hour, rooftop, evening light";
  fashn_plan_clip(out, sizeof out, p, strlen(p), 40);
  CHECK_STR(out, "tall model\\tin a linen suit\\n golden hour,...");
  fashn_plan_clip(out, sizeof out, "short", 5, 40);
  CHECK_STR(out, "short");
  fashn_plan_clip(out, sizeof out, "a\x1b[2Jb", 6, 40); /* no terminal control gets through */
  CHECK_STR(out, "a\\x1B[2Jb");
  const char *utf = "caf\xc3\xa9 \xc3\xa9t\xc3\xa9"; /* whole characters only, counted as one */
  fashn_plan_clip(out, sizeof out, utf, strlen(utf), 5);
  CHECK_STR(out, "caf\xc3\xa9 ...");
}

TEST(plan_totals_leave_cached_jobs_out_and_the_json_matches) {
  fashn_plan *p = fashn_plan_new();
  fashn_plan_row a = {.model = "model-create", .prompt = "a", .seed = 1, .resolution_k = 1, .images = 2, .credits = 2};
  fashn_plan_row b = {.model = "model-create", .prompt = "b", .seed = -1, .refs = "face: face.jpg", .resolution_k = 2,
                      .images = 1, .credits = 7, .cached = true};
  CHECK(fashn_plan_add(p, &a) && fashn_plan_add(p, &b));
  fashn_plan_totals t;
  fashn_plan_totals_of(p, &t);
  CHECK_INT(t.jobs, 2);
  CHECK_INT(t.images, 3);
  CHECK_INT(t.credits, 2);
  CHECK_INT(t.cached, 1);
  char path[] = "/tmp/atelier-plan-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  close(fd);
  char err[200];
  CHECK(fashn_plan_write_json(p, path, 5, err, sizeof err));
  FILE *f = fopen(path, "rb");
  char text[2000];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  unlink(path);
  text[n] = '\0';
  CHECK(strstr(text, "\"totals\":{\"jobs\":2,\"images\":3,\"credits\":2,\"cached\":1}") != NULL);
  CHECK(strstr(text, "\"seed\":null") != NULL);
  CHECK(strstr(text, "\"credits\":0,\"cached\":true") != NULL);
  CHECK(strstr(text, "\"max_credits\":5") != NULL);
  json_doc *d = json_parse(text, n, 8, err, sizeof err);
  CHECK(d != NULL);
  json_doc_free(d);
  fashn_plan_free(p);
}

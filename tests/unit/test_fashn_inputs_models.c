/* test_fashn_inputs_models.c — every model's inputs checked from its description: a
 * minimal valid request passes, each required field missing, each enum value wrong and
 * an unknown name are refused naming the field; passthrough fields reach the body; and
 * the poll plan's stretch of a job, read from the facts the check gives. */
#include <math.h>
#include <stdio.h>

#include "../../runtime/base/buf.h"
#include "../../runtime/base/json.h"
#include "../../runtime/api/fashn_inputs.h"
#include "../../runtime/fashn/fashn_int.h"
#include "unit.h"

#define IMG "\"data:image/png;base64,AAAA\""

/* JSON for a sample value of field f (valid unless wrong is set). */
static void sample(const fashn_field *f, bool wrong, char *out, size_t len) {
  switch (f->type) {
    case FIELD_TEXT: snprintf(out, len, wrong ? "42" : "\"a linen suit\""); break;
    case FIELD_ENUM: snprintf(out, len, wrong ? "\"no-such-value\"" : "\"%s\"", f->values[0]); break;
    case FIELD_INT: snprintf(out, len, wrong ? "%lld" : "%lld", (long long)(wrong ? f->hi + 1 : f->lo)); break;
    case FIELD_BOOL: snprintf(out, len, wrong ? "\"yes\"" : "true"); break;
    case FIELD_IMAGE: snprintf(out, len, wrong ? "\"data:text/plain;base64,QUJD\"" : IMG); break;
    case FIELD_URL: snprintf(out, len, wrong ? "\"ftp://x\"" : "\"https://example.invalid/l\""); break;
  }
}

/* The required fields of m, with one of them (skip) left out or made wrong, plus extra. */
static void request(const fashn_model *m, const fashn_field *skip, bool wrong, const char *extra, buf *out) {
  buf_reset(out);
  buf_append_char(out, '{');
  bool first = true;
  for (const fashn_field *f = m->fields; f->name; f++) {
    if (!(f->flags & FIELD_REQUIRED) && f != skip) continue;
    if (f == skip && !wrong) continue;
    char v[96];
    sample(f, f == skip && wrong, v, sizeof v);
    char member[160];
    snprintf(member, sizeof member, "%s\"%s\":%s", first ? "" : ",", f->name, v);
    buf_append_str(out, member);
    first = false;
  }
  if (extra) {
    if (!first) buf_append_char(out, ',');
    buf_append_str(out, extra);
  }
  buf_append_char(out, '}');
}

TEST(inputs_every_model_refuses_missing_wrong_and_unknown_fields_by_name) {
  buf b = BUF_INIT;
  int models = 0;
  for (int i = 0; fashn_models[i]; i++) {
    const fashn_model *m = fashn_models[i];
    if (m->state != MODEL_ACTIVE) continue;
    models++;
    fashn_input_facts facts;
    fashn_input_error e;
    request(m, NULL, false, NULL, &b);
    if (!fashn_inputs_check_json_model(m, b.data, b.len, &facts, &e))
      unit_fail(__FILE__, __LINE__, "%s: a minimal request %s was refused: %s", m->name, b.data, e.message);
    CHECK(facts.model == m);
    CHECK(facts.credits >= 1);
    for (const fashn_field *f = m->fields; f->name; f++) {
      if (f->flags & FIELD_REQUIRED) {
        request(m, f, false, NULL, &b);
        if (fashn_inputs_check_json_model(m, b.data, b.len, &facts, &e) || strcmp(e.field, f->name) != 0)
          unit_fail(__FILE__, __LINE__, "%s without %s: field '%s' (%s)", m->name, f->name, e.field, e.message);
      }
      if (f->type == FIELD_ENUM || f->type == FIELD_INT || f->type == FIELD_BOOL || f->type == FIELD_IMAGE) {
        request(m, f, true, NULL, &b);
        if (fashn_inputs_check_json_model(m, b.data, b.len, &facts, &e) || strcmp(e.field, f->name) != 0)
          unit_fail(__FILE__, __LINE__, "%s with a wrong %s: field '%s' (%s)", m->name, f->name, e.field, e.message);
      }
    }
    request(m, NULL, false, "\"sede\":7", &b);
    if (fashn_inputs_check_json_model(m, b.data, b.len, &facts, &e) || strcmp(e.field, "sede") != 0)
      unit_fail(__FILE__, __LINE__, "%s with an unknown name: field '%s'", m->name, e.field);
    CHECK(strstr(e.message, "not an input of") != NULL);
  }
  CHECK_INT(models, 11);
  buf_free(&b);
}

TEST(inputs_retired_and_deprecated_models_name_their_replacement) {
  fashn_input_facts facts;
  fashn_input_error e;
  const char *in = "{\"image\":" IMG ",\"prompt\":\"beach\"}";
  CHECK(!fashn_inputs_check_json_model(fashn_model_find("background-change"), in, strlen(in), &facts, &e));
  CHECK(strstr(e.message, "deprecated") && strstr(e.message, "edit with image_context"));
  CHECK(!fashn_inputs_check_json_model(fashn_model_find("model-variation"), in, strlen(in), &facts, &e));
  CHECK(strstr(e.message, "retired") != NULL);
}

TEST(inputs_rules_between_fields) {
  fashn_input_facts f;
  fashn_input_error e;
  const fashn_model *mc = fashn_model_find("model-create");
  const char *face4k = "{\"prompt\":\"x\",\"face_reference\":" IMG ",\"resolution\":\"4k\"}";
  CHECK(!fashn_inputs_check_json_model(mc, face4k, strlen(face4k), &f, &e));
  CHECK_STR(e.field, "face_reference");
  CHECK(strstr(e.message, "capped at 2k") != NULL);
  const char *face2k = "{\"prompt\":\"x\",\"face_reference\":" IMG ",\"resolution\":\"2k\",\"num_images\":2}";
  CHECK(fashn_inputs_check_json_model(mc, face2k, strlen(face2k), &f, &e));
  CHECK_INT(f.credits, (3 + 3) * 2);
  CHECK_INT(f.resolution_k, 2);
  const fashn_model *v = fashn_model_find("image-to-video");
  const char *end720 = "{\"image\":" IMG ",\"end_image\":" IMG ",\"resolution\":\"720p\"}";
  CHECK(!fashn_inputs_check_json_model(v, end720, strlen(end720), &f, &e));
  CHECK_STR(e.field, "end_image");
  const char *end1080 = "{\"image\":" IMG ",\"end_image\":" IMG ",\"duration\":10}";
  CHECK(fashn_inputs_check_json_model(v, end1080, strlen(end1080), &f, &e));
  CHECK_INT(f.credits, 12);
  CHECK_STR(f.output_format, "mp4");
  const char *dur7 = "{\"image\":" IMG ",\"duration\":7}";
  CHECK(!fashn_inputs_check_json_model(v, dur7, strlen(dur7), &f, &e));
  CHECK_STR(e.field, "duration");
  const fashn_model *p2m = fashn_model_find("product-to-model");
  const char *both = "{\"product_image\":" IMG ",\"model_image\":" IMG ",\"image_prompt\":" IMG "}";
  CHECK(!fashn_inputs_check_json_model(p2m, both, strlen(both), &f, &e));
  CHECK_STR(e.field, "model_image");
  const fashn_model *f2m = fashn_model_find("face-to-model");
  const char *face = "{\"face_image\":" IMG "}";
  CHECK(fashn_inputs_check_json_model(f2m, face, strlen(face), &f, &e));
  CHECK_STR(f.output_format, "jpeg");
  const fashn_model *v16 = fashn_model_find("tryon-v1.6");
  const char *saved = "{\"model_image\":\"saved:anna\",\"garment_image\":" IMG ",\"num_samples\":3}";
  CHECK(fashn_inputs_check_json_model(v16, saved, strlen(saved), &f, &e));
  CHECK_INT(f.num_images, 3);
  CHECK_INT(f.credits, 3);
}

TEST(inputs_passthrough_fields_are_sent_flat_and_known_names_refused_inside_it) {
  const char *in = "{\"passthrough\":{\"style_hint\":{\"a\":1},\"z\":true},\"prompt\":\"x\",\"seed\":7}";
  fashn_input_facts f;
  fashn_input_error e;
  const fashn_model *mc = fashn_model_find("model-create");
  bool ok = fashn_inputs_check_json_model(mc, in, strlen(in), &f, &e);
  CHECK(ok);
  char perr[64];
  json_doc *d = json_parse(in, strlen(in), 16, perr, sizeof perr);
  CHECK(d != NULL);
  if (!d) return;
  buf body = BUF_INIT;
  CHECK(fashn_inputs_write_body(mc, json_root(d), &body));
  buf_append_char(&body, '\0');
  CHECK_STR(body.data, "{\"model_name\":\"model-create\",\"inputs\":{\"style_hint\":{\"a\":1},\"z\":true,"
                       "\"prompt\":\"x\",\"seed\":7}}");
  buf_free(&body);
  json_doc_free(d);
  const char *known = "{\"prompt\":\"x\",\"passthrough\":{\"num_images\":4}}";
  CHECK(!fashn_inputs_check_json_model(mc, known, strlen(known), &f, &e));
  CHECK_STR(e.field, "passthrough");
}

/* A job's stretch: how many times its poll class's usual time its settings make it. */
static double stretch_of(const char *model, const char *in) {
  fashn_input_facts f;
  fashn_input_error e;
  if (!fashn_inputs_check_json_model(fashn_model_find(model), in, strlen(in), &f, &e)) return -1;
  return fashn_plan_stretch(&f);
}

TEST(a_jobs_stretch_is_what_its_class_does_not_tell_apart) {
  /* other models: one class for every resolution and mode */
  CHECK(fabs(stretch_of("edit", "{\"image\":\"https://a/b.png\",\"prompt\":\"x\"}") - 1) < 1e-9);
  CHECK(fabs(stretch_of("edit", "{\"image\":\"https://a/b.png\",\"prompt\":\"x\",\"resolution\":\"2k\","
                                "\"generation_mode\":\"quality\"}") - 2.5) < 1e-9);
  CHECK(fabs(stretch_of("tryon-max", "{\"product_image\":\"https://a/b.png\",\"model_image\":\"https://a/c.png\","
                                     "\"resolution\":\"4k\"}") - 2) < 1e-9);
  /* a video is as long whatever it is asked */
  CHECK(fabs(stretch_of("image-to-video", "{\"image\":\"https://a/b.png\",\"resolution\":\"480p\"}") - 1) < 1e-9);
  /* model-create's classes are by resolution already: only the mode stretches */
  CHECK(fabs(stretch_of("model-create", "{\"prompt\":\"x\",\"resolution\":\"4k\"}") - 1) < 1e-9);
  CHECK(fabs(stretch_of("model-create", "{\"prompt\":\"x\",\"resolution\":\"2k\",\"generation_mode\":\"quality\"}") -
             2.5 / 1.5) < 1e-9);
}

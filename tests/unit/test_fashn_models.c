/* test_fashn_models.c — the model descriptions: look-ups, "did you mean" suggestions and
 * the price rules, table-driven against the API's published prices. */
#include "../../runtime/api/fashn_models.h"
#include "unit.h"

TEST(models_find_every_model_and_refuse_unknown_names) {
  const char *names[] = {"model-create", "tryon-max", "tryon-v1.6", "product-to-model", "face-to-model",
                         "model-swap", "edit", "reframe", "background-remove", "image-to-video", "packshot"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    const fashn_model *m = fashn_model_find(names[i]);
    CHECK(m != NULL);
    if (m) CHECK_INT(m->state, MODEL_ACTIVE);
  }
  CHECK(fashn_model_find("model_create") == NULL);
  CHECK(fashn_model_find(NULL) == NULL);
  CHECK_STR(fashn_models[0]->name, FASHN_DEFAULT_MODEL);
  const fashn_model *old = fashn_model_find("background-change");
  CHECK(old && old->state == MODEL_DEPRECATED && old->replacement);
  const fashn_model *gone = fashn_model_find("model-variation");
  CHECK(gone && gone->state == MODEL_RETIRED && gone->replacement);
}

TEST(models_every_model_has_its_required_fields_and_no_duplicates) {
  for (int i = 0; fashn_models[i]; i++) {
    const fashn_model *m = fashn_models[i];
    int n = 0;
    for (const fashn_field *f = m->fields; f->name; f++, n++) {
      for (const fashn_field *g = f + 1; g->name; g++)
        if (strcmp(f->name, g->name) == 0) unit_fail(__FILE__, __LINE__, "%s lists %s twice", m->name, f->name);
      if (f->type == FIELD_ENUM && !f->values) unit_fail(__FILE__, __LINE__, "%s.%s has no values", m->name, f->name);
    }
    if (m->state == MODEL_ACTIVE) CHECK(n > 0);
    if (m->count_field) CHECK(fashn_model_field(m, m->count_field) != NULL);
  }
  const fashn_model *mc = fashn_model_find("model-create");
  const char *known[] = {"prompt", "generation_mode", "reference_type", "disable_prompt_enhancement", "lora_url"};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) CHECK(fashn_model_field(mc, known[i]) != NULL);
  CHECK(fashn_model_field(fashn_model_find("tryon-v1.6"), "num_images") == NULL);
  CHECK(fashn_model_field(fashn_model_find("tryon-v1.6"), "num_samples") != NULL);
  CHECK(fashn_model_field(fashn_model_find("background-remove"), "seed") == NULL);
}

TEST(models_suggest_the_field_a_typo_meant) {
  const fashn_model *mc = fashn_model_find("model-create");
  CHECK_STR(fashn_model_closest_field(mc, "aspect_ration"), "aspect_ratio");
  CHECK_STR(fashn_model_closest_field(mc, "face_refrence"), "face_reference");
  CHECK_STR(fashn_model_closest_field(mc, "seeds"), "seed");
  CHECK_STR(fashn_model_closest_field(mc, "promt"), "prompt");
  CHECK_STR(fashn_model_closest_field(mc, "Num_Images"), "num_images");
  CHECK_STR(fashn_model_closest_field(mc, "output_fromat"), "output_format");
  CHECK(fashn_model_closest_field(mc, "colour") == NULL);
  CHECK(fashn_model_closest_field(mc, "x") == NULL);
  const char *models[] = {"model-create", "tryon-max", "reframe", NULL};
  CHECK_STR(fashn_closest_name("tryon_max", models), "tryon-max");
  CHECK_STR(fashn_closest_name("refame", models), "reframe");
}

/* Credits per output image by generation_mode (none, fast, balanced, quality) and
 * resolution (1k, 2k, 4k), as the API charges: no mode is fast at 1k, balanced above. */
TEST(models_price_table_for_every_mode_resolution_face_and_count) {
  const char *mode_names[] = {NULL, "fast", "balanced", "quality"};
  const char *res_names[] = {"1k", "2k", "4k"};
  const int per_image[4][3] = {{1, 3, 4}, {1, 2, 3}, {2, 3, 4}, {3, 4, 5}};
  const fashn_model *mc = fashn_model_find("model-create");
  int cases = 0;
  for (int mode = 0; mode < 4; mode++)
    for (int r = 0; r < 3; r++)
      for (int face = 0; face < 2; face++)
        for (int n = 1; n <= 4; n++) {
          fashn_price_inputs p = {mode_names[mode], res_names[r], face, n, 0};
          int want = (per_image[mode][r] + (face ? 3 : 0)) * n;
          int got = fashn_model_credits(mc, &p);
          if (got != want)
            unit_fail(__FILE__, __LINE__, "mode %s res %s face %d x%d: %d credits, expected %d",
                      mode_names[mode] ? mode_names[mode] : "(none)", res_names[r], face, n, got, want);
          cases++;
        }
  CHECK_INT(cases, 96);
  fashn_price_inputs plain = {NULL, NULL, false, 1, 0}, face = {NULL, NULL, true, 1, 0};
  CHECK_INT(fashn_model_credits(mc, &plain), 1); /* the older contract: 1, or 4 with a face */
  CHECK_INT(fashn_model_credits(mc, &face), 4);
  fashn_price_inputs bad = {"turbo", "1k", false, 1, 0};
  CHECK_INT(fashn_model_credits(mc, &bad), -1);
}

TEST(models_price_rules_of_the_other_models) {
  const fashn_model *tm = fashn_model_find("tryon-max");
  fashn_price_inputs p = {NULL, "1k", false, 1, 0};
  CHECK_INT(fashn_model_credits(tm, &p), 2); /* billed balanced */
  p.resolution = "4k";
  p.generation_mode = "quality";
  CHECK_INT(fashn_model_credits(tm, &p), 5);
  p.generation_mode = "fast";
  CHECK_INT(fashn_model_credits(tm, &p), -1); /* tryon-max has no fast mode */
  fashn_price_inputs samples = {NULL, NULL, false, 3, 0};
  CHECK_INT(fashn_model_credits(fashn_model_find("tryon-v1.6"), &samples), 3);
  fashn_price_inputs one = {NULL, NULL, false, 1, 0};
  CHECK_INT(fashn_model_credits(fashn_model_find("background-remove"), &one), 1);
  const fashn_model *v = fashn_model_find("image-to-video");
  const char *vres[] = {"480p", "720p", "1080p"};
  const int five[] = {1, 3, 6}, ten[] = {2, 6, 12};
  for (int r = 0; r < 3; r++) {
    fashn_price_inputs a = {NULL, vres[r], false, 1, 5}, b = {NULL, vres[r], false, 1, 10};
    CHECK_INT(fashn_model_credits(v, &a), five[r]);
    CHECK_INT(fashn_model_credits(v, &b), ten[r]);
  }
  fashn_price_inputs dflt = {NULL, NULL, false, 1, 0};
  CHECK_INT(fashn_model_credits(v, &dflt), 6); /* 5 s at 1080p */
  fashn_price_inputs ms = {"fast", "2k", true, 2, 0};
  CHECK_INT(fashn_model_credits(fashn_model_find("model-swap"), &ms), (2 + 3) * 2);
}

TEST(models_resolution_tiers_and_typical_times) {
  const fashn_model *mc = fashn_model_find("model-create");
  CHECK_INT(fashn_model_resolution_k(mc, NULL), 1);
  CHECK_INT(fashn_model_resolution_k(mc, "2k"), 2);
  CHECK_INT(fashn_model_resolution_k(mc, "4k"), 4);
  CHECK_INT(fashn_model_resolution_k(mc, "8k"), -1);
  CHECK_INT(fashn_model_resolution_k(fashn_model_find("image-to-video"), "1080p"), 0);
  fashn_price_inputs plain = {NULL, NULL, false, 1, 0}, face = {NULL, NULL, true, 1, 0};
  CHECK(fashn_model_seconds(mc, &face) > fashn_model_seconds(mc, &plain));
  CHECK(fashn_model_seconds(fashn_model_find("background-remove"), &plain) < fashn_model_seconds(mc, &plain));
}

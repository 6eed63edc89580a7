/* test_fashn_status.c — reading a status answer without a job: its kind, the error of an
 * ended prediction and its default names, the output list, what each output is, and the
 * bytes of a data: URI output. */
#include <stdlib.h>

#include "../../runtime/fashn/fashn_status.h"
#include "unit.h"

/* A 1x1 RGB PNG, valid to the last CRC. */
#define PNG_1X1 "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
/* Complete PNGs whose headers are refused: 50000x50000 (a decompression bomb), and bit depth 7. */
#define PNG_BOMB "iVBORw0KGgoAAAANSUhEUgAAw1AAAMNQCAIAAADEzaqdAAAACUlEQVR4nGMAAAABAAFe/335AAAAAElFTkSuQmCC"
#define PNG_DEPTH_7 "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABBwIAAAASJ8QPAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"

static fashn_status_view view; /* answer() frees the previous one */

static const fashn_status_view *answer(const char *json) {
  fashn_status_free(&view);
  fashn_status_read(json, json ? strlen(json) : 0, &view);
  return &view;
}

TEST(a_status_answer_that_is_not_json_or_has_no_status_word_is_bad) {
  CHECK_INT(answer("{\"status\":\"compl")->kind, FASHN_STATUS_BAD);
  CHECK_STR(view.why, "the status answer is not valid JSON");
  CHECK_STR(view.status, "");
  CHECK_INT(answer(NULL)->kind, FASHN_STATUS_BAD);
  CHECK_STR(view.why, "the status answer is not valid JSON");
  CHECK_INT(answer("{\"id\":\"p1\",\"output\":null}")->kind, FASHN_STATUS_BAD);
  CHECK_STR(view.why, "the status answer has no status");
  CHECK_INT(answer("{\"status\":42}")->kind, FASHN_STATUS_BAD);
  CHECK_STR(view.why, "the status answer has no status");
  CHECK_INT(answer("[\"completed\"]")->kind, FASHN_STATUS_BAD);
  CHECK(view.output == NULL);
  fashn_status_free(&view);
}

TEST(unfinished_and_unknown_status_words_are_pending_and_shown_sanitized) {
  CHECK_INT(answer("{\"id\":\"p1\",\"status\":\"in_queue\",\"output\":null,\"error\":null}")->kind,
            FASHN_STATUS_PENDING);
  CHECK_STR(view.status, "in_queue");
  CHECK(view.why == NULL);
  CHECK_INT(answer("{\"status\":\"starting\"}")->kind, FASHN_STATUS_PENDING);
  CHECK_INT(answer("{\"status\":\"processing\",\"output\":[\"https://cdn.fashn.ai/x.png\"]}")->kind,
            FASHN_STATUS_PENDING);
  CHECK(view.output == NULL); /* outputs are only looked at once completed */
  CHECK_INT(answer("{\"status\":\"warming up <b>\"}")->kind, FASHN_STATUS_PENDING); /* a newer API's word */
  CHECK_STR(view.status, "warming_up__b_");
  answer("{\"status\":\"a_status_word_longer_than_twenty_three_bytes\"}");
  CHECK_STR(view.status, "a_status_word_longer_th");
  fashn_status_free(&view);
}

TEST(a_completed_answer_gives_its_output_list) {
  CHECK_INT(answer("{\"id\":\"p1\",\"status\":\"completed\",\"output\":[\"https://cdn.fashn.ai/p1/0.png\","
                 "\"https://cdn.fashn.ai/p1/1.png\"],\"error\":null}")
                ->kind,
            FASHN_STATUS_COMPLETED);
  CHECK_STR(view.status, "completed");
  CHECK_INT(view.outputs, FASHN_OUTPUTS_LIST);
  REQUIRE(view.output != NULL && view.output->type == JSON_ARRAY);
  CHECK_INT(view.output->u.arr.n, 2);
  answer("{\"status\":\"completed\",\"output\":[1,2,3,4,5,6,7,8]}"); /* entries are judged one by one later */
  CHECK_INT(view.outputs, FASHN_OUTPUTS_LIST);
  fashn_status_free(&view);
}

TEST(a_completed_answer_without_outputs_missing_null_or_empty_has_none) {
  const char *answers[] = {"{\"status\":\"completed\"}", "{\"status\":\"completed\",\"output\":null}",
                           "{\"status\":\"completed\",\"output\":[]}"};
  for (int i = 0; i < 3; i++) {
    CHECK_INT(answer(answers[i])->kind, FASHN_STATUS_COMPLETED);
    CHECK_INT(view.outputs, FASHN_OUTPUTS_NONE);
    CHECK(view.output == NULL);
  }
  fashn_status_free(&view);
}

TEST(a_completed_output_that_is_not_a_list_or_has_too_many_entries_is_refused) {
  CHECK_INT(answer("{\"status\":\"completed\",\"output\":\"https://cdn.fashn.ai/x.png\"}")->outputs,
            FASHN_OUTPUTS_NOT_LIST);
  CHECK_INT(answer("{\"status\":\"completed\",\"output\":{\"0\":\"x\"}}")->outputs, FASHN_OUTPUTS_NOT_LIST);
  CHECK_INT(answer("{\"status\":\"completed\",\"output\":false}")->outputs, FASHN_OUTPUTS_NOT_LIST);
  CHECK_INT(answer("{\"status\":\"completed\",\"output\":[1,2,3,4,5,6,7,8,9]}")->outputs, FASHN_OUTPUTS_TOO_MANY);
  CHECK_INT(view.kind, FASHN_STATUS_COMPLETED);
  CHECK(view.output == NULL);
  fashn_status_free(&view);
}

TEST(a_failed_prediction_keeps_its_error_name_and_message) {
  answer("{\"id\":\"p1\",\"status\":\"failed\",\"output\":null,"
       "\"error\":{\"name\":\"ImageLoadError\",\"message\":\"the image_reference could not be fetched\"}}");
  CHECK_INT(view.kind, FASHN_STATUS_ENDED);
  CHECK_STR(view.status, "failed");
  CHECK_STR(view.err_name, "ImageLoadError");
  CHECK_STR(view.err_message, "the image_reference could not be fetched");
  CHECK(view.failed);
  CHECK(!view.retry_worthy); /* the same inputs would fail again */
  answer("{\"status\":\"failed\",\"error\":{\"name\":\"ThirdPartyError\",\"message\":\"upstream\"}}");
  CHECK_STR(view.err_name, "ThirdPartyError");
  CHECK(view.retry_worthy);
  fashn_status_free(&view);
}

TEST(an_error_given_as_a_string_is_its_name) {
  answer("{\"status\":\"failed\",\"error\":\"PipelineError\"}");
  CHECK_INT(view.kind, FASHN_STATUS_ENDED);
  CHECK_STR(view.err_name, "PipelineError");
  CHECK_STR(view.err_message, "");
  CHECK(view.retry_worthy);
  fashn_status_free(&view);
}

TEST(an_ending_without_an_error_name_gets_one_for_its_status) {
  CHECK_STR(answer("{\"status\":\"failed\",\"error\":null}")->err_name, "PredictionFailed");
  CHECK_STR(answer("{\"status\":\"failed\",\"error\":{\"message\":\"no name\"}}")->err_name, "PredictionFailed");
  CHECK_STR(view.err_message, "no name");
  CHECK_STR(answer("{\"status\":\"failed\",\"error\":{\"name\":\"\"}}")->err_name, "PredictionFailed");
  CHECK_STR(answer("{\"status\":\"failed\",\"error\":\"\"}")->err_name, "PredictionFailed");
  CHECK_STR(answer("{\"status\":\"canceled\"}")->err_name, "PredictionCanceled");
  CHECK_INT(view.kind, FASHN_STATUS_ENDED);
  CHECK_STR(view.status, "canceled");
  CHECK_STR(answer("{\"status\":\"time_out\",\"error\":null}")->err_name, "PredictionTimedOut");
  CHECK_INT(view.kind, FASHN_STATUS_ENDED);
  CHECK_STR(view.status, "time_out");
  fashn_status_free(&view);
}

TEST(error_names_are_kept_to_identifier_characters) {
  answer("{\"status\":\"failed\",\"error\":{\"name\":\"Bad Name<script>\",\"message\":\"<script>\"}}");
  CHECK_STR(view.err_name, "Bad_Name_script_");
  CHECK_STR(view.err_message, "<script>"); /* messages are text, kept as they are */
  answer("{\"status\":\"failed\",\"error\":\"3rdPartyProviderError\"}");
  CHECK_STR(view.err_name, "3rdPartyProviderError");
  answer("{\"status\":\"failed\",\"error\":\"N0123456789012345678901234567890123456789012345678901234567890123456789\"}");
  CHECK_INT(strlen(view.err_name), 63);
  fashn_status_free(&view);
}

TEST(only_a_failed_prediction_is_worth_a_resubmission) {
  answer("{\"status\":\"canceled\",\"error\":{\"name\":\"ThirdPartyError\"}}");
  CHECK_STR(view.err_name, "ThirdPartyError");
  CHECK(!view.failed);
  CHECK(!view.retry_worthy);
  CHECK(fashn_status_retry_worthy("UnavailableError"));
  CHECK(fashn_status_retry_worthy("InternalServerError"));
  CHECK(!fashn_status_retry_worthy("ContentModerationError"));
  CHECK(!fashn_status_retry_worthy("thirdpartyerror"));
  fashn_status_free(&view);
}

static fashn_output_kind classify(const char *s, char *why) {
  return fashn_output_classify(s, s ? strlen(s) : 0, why, 160);
}

TEST(an_output_is_expired_a_data_uri_a_usable_url_or_bad) {
  char why[160];
  CHECK_INT(classify(NULL, why), FASHN_OUTPUT_NOT_STRING);
  CHECK_INT(classify("", why), FASHN_OUTPUT_NOT_STRING);
  CHECK_INT(classify("<base64>_expired", why), FASHN_OUTPUT_EXPIRED);
  CHECK_INT(classify("data:image/png;base64,iVBORw0KGgo_expired", why), FASHN_OUTPUT_EXPIRED);
  CHECK_INT(classify("data:image/png;base64," PNG_1X1, why), FASHN_OUTPUT_DATA_URI);
  CHECK_INT(classify("DATA:image/jpeg;base64,/9j/", why), FASHN_OUTPUT_DATA_URI);
  CHECK_INT(classify("https://cdn.fashn.ai/p1/output_0.png", why), FASHN_OUTPUT_URL);
  CHECK_INT(classify("http://127.0.0.1:8080/cdn/p1/0.png", why), FASHN_OUTPUT_URL);
  CHECK_INT(classify("http://cdn.example.com/x.png", why), FASHN_OUTPUT_BAD_URL);
  CHECK(strstr(why, "loopback") != NULL);
  CHECK_INT(classify("file:///etc/passwd", why), FASHN_OUTPUT_BAD_URL);
  CHECK(*why != '\0');
  size_t n = 8300;
  char *longurl = malloc(n + 1);
  memcpy(longurl, "https://cdn.fashn.ai/", 21);
  memset(longurl + 21, 'a', n - 21);
  longurl[n] = '\0';
  CHECK_INT(classify(longurl, why), FASHN_OUTPUT_BAD_URL);
  CHECK_STR(why, "too long");
  free(longurl);
}

static fashn_decode_status decode(const char *uri, size_t max, buf *out, char *fmt, char *why) {
  return fashn_output_decode(uri, strlen(uri), max, out, fmt, 8, why, 200);
}

TEST(a_data_uri_output_decodes_to_a_checked_image) {
  buf out = BUF_INIT;
  char fmt[8], why[200];
  REQUIRE_INT(decode("data:image/png;base64," PNG_1X1, 1 << 20, &out, fmt, why), FASHN_DECODED);
  CHECK_STR(fmt, "png");
  CHECK_INT(out.len, 69);
  CHECK(out.data && memcmp(out.data, "\x89PNG", 4) == 0);
  buf_free(&out);
  /* MIME-wrapped payloads are accepted */
  CHECK_INT(decode("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4\r\n"
                   "z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC",
                   1 << 20, &out, fmt, why),
            FASHN_DECODED);
  CHECK_INT(out.len, 69);
  buf_free(&out);
}

TEST(a_data_uri_output_that_cannot_be_taken_says_why) {
  buf out = BUF_INIT;
  char fmt[8], why[200];
  /* clearly over the byte limit (298 characters, about 222 bytes): refused before decoding */
  CHECK_INT(decode("data:image/png;base64," PNG_1X1 PNG_1X1 PNG_1X1, 16, &out, fmt, why), FASHN_DECODE_TOO_LARGE);
  CHECK_STR(why, "about 222 bytes, more than the 16-byte limit (max_output_bytes)");
  CHECK(out.data == NULL);
  /* not base64 */
  CHECK_INT(decode("data:image/png;base64,iVBO@@@@", 1 << 20, &out, fmt, why), FASHN_DECODE_BAD_URI);
  CHECK(*why != '\0');
  CHECK(out.data == NULL && out.len == 0);
  CHECK_INT(decode("data:image/png,percent-encoded", 1 << 20, &out, fmt, why), FASHN_DECODE_BAD_URI);
  /* a cut-off image: "aGVsbG8gd29ybGQ=" is "hello world" */
  CHECK_INT(decode("data:image/png;base64,aGVsbG8gd29ybGQ=", 1 << 20, &out, fmt, why), FASHN_DECODE_INCOMPLETE);
  CHECK_STR(fmt, "unknown");
  CHECK(out.data == NULL);
  /* complete, but a header declaring 2.5 Gpx is a bomb, and bit depth 7 is no PNG */
  CHECK_INT(decode("data:image/png;base64," PNG_BOMB, 1 << 20, &out, fmt, why), FASHN_DECODE_TOO_LARGE);
  CHECK(*why != '\0');
  CHECK(out.data == NULL);
  CHECK_INT(decode("data:image/png;base64," PNG_DEPTH_7, 1 << 20, &out, fmt, why), FASHN_DECODE_UNREADABLE);
  CHECK(*why != '\0');
  CHECK(out.data == NULL);
  /* the header check on its own, as downloads use it */
  char bytes[] = "\x89PNG\r\n\x1a\n";
  CHECK_INT(fashn_output_check(bytes, 8, 1 << 20, why, sizeof why), FASHN_DECODE_UNREADABLE);
}

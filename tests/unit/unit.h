/* unit.h — a very small C unit-test framework: TEST(name) registers a function, CHECK*
 * record failures with file:line and keep going, REQUIRE* record a failure and end the
 * current test, main.c runs them all. */
#ifndef ATELIER_UNIT_H
#define ATELIER_UNIT_H

#include <stdio.h>
#include <string.h>

typedef struct unit_test {
  const char *name;
  void (*fn)(void);
  struct unit_test *next;
} unit_test;

void unit_register(unit_test *t);
void unit_fail(const char *file, int line, const char *fmt, ...);
/* Ends the running test (already counted as failed): a longjmp back into main.c (in a
 * child the test forked, _exit instead), so whatever the test had allocated is leaked —
 * acceptable only because it failed. */
_Noreturn void unit_stop(void);

#define TEST(name)                                                   \
  static void test_##name(void);                                     \
  static unit_test unit_##name = {#name, test_##name, NULL};         \
  __attribute__((constructor)) static void register_##name(void) {   \
    unit_register(&unit_##name);                                     \
  }                                                                  \
  static void test_##name(void)

#define CHECK(cond)                                                    \
  do {                                                                 \
    if (!(cond)) unit_fail(__FILE__, __LINE__, "expected %s", #cond); \
  } while (0)

#define CHECK_INT(a, b)                                                                   \
  do {                                                                                    \
    long long va_ = (long long)(a), vb_ = (long long)(b);                                 \
    if (va_ != vb_) unit_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", #a, va_, vb_); \
  } while (0)

#define CHECK_STR(a, b)                                                                    \
  do {                                                                                     \
    const char *sa_ = (a), *sb_ = (b);                                                     \
    if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0)                                             \
      unit_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, sa_ ? sa_ : "(null)", \
                sb_ ? sb_ : "(null)");                                                     \
  } while (0)

/* REQUIRE* are for conditions the rest of the test depends on (a pointer it dereferences,
 * a parse or open whose result it reads, a length it indexes by): a CHECK there would go
 * on and crash the runner, or report nonsense, instead of one clear failure. */
#define REQUIRE(cond)                                                    \
  do {                                                                   \
    if (!(cond)) {                                                       \
      unit_fail(__FILE__, __LINE__, "required %s", #cond);               \
      unit_stop();                                                       \
    }                                                                    \
  } while (0)

#define REQUIRE_INT(a, b)                                                                   \
  do {                                                                                      \
    long long va_ = (long long)(a), vb_ = (long long)(b);                                   \
    if (va_ != vb_) {                                                                       \
      unit_fail(__FILE__, __LINE__, "required %s == %lld, got %lld", #a, vb_, va_);         \
      unit_stop();                                                                          \
    }                                                                                       \
  } while (0)

#endif

/* main.c — the unit-test runner: registers every suite of suites.h, runs
 * them with the basic runner in verbose mode, and exits non-zero when any
 * assertion or test failed or the registry could not be built (the basic
 * runner's own return value does not say). Ends, as every runner of
 * `make test` does, with the line "N passed, M failed" (tests).
 *
 * The code under test may end the process (exit() on a fatal error, abort()
 * from unreachable(), a crash): then the handlers below restore stderr if a
 * test was capturing it, name the test that was running, print what it had
 * captured and still end with the summary line, with exit status 1. */
#include "suites.h"

#include <CUnit/Basic.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool finished;

static void summary(unsigned extra_failed) {
    const CU_RunSummary *s = CU_get_run_summary();
    printf("\n%u assertions, %u failed\n", s->nAsserts, s->nAssertsFailed);
    printf("%u passed, %u failed\n", s->nTestsRun - s->nTestsFailed, s->nTestsFailed + extra_failed);
    fflush(stdout);
}

/* the process is ending inside a test */
static void died(const char *how) {
    char *captured = capture_abort();
    CU_pSuite suite = CU_get_current_suite();
    CU_pTest test = CU_get_current_test();
    printf("\n*** %s while running %s: %s\n", how, suite ? suite->pName : "?", test ? test->pName : "?");
    if (captured && *captured) {
        size_t n = strlen(captured);
        printf("*** its standard error%s:\n%s\n", n > 4000 ? " (the end)" : "", n > 4000 ? captured + n - 4000 : captured);
    }
    summary(1);
}

static void at_exit(void) {
    if (finished) return;
    died("the process called exit()");
    _exit(1);
}

static void on_signal(int sig) {
    died(strsignal(sig));
    _exit(1);
}

int main(void) {
    diag_color(0);
    diag_limit(0);   /* the suites count errors themselves: never stop the process */
    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "cannot initialize the CUnit registry: %s\n", CU_get_error_msg());
        printf("0 passed, 1 failed\n");
        return 1;
    }
    suite_lexer_parser();
    suite_shapes();
    suite_report();
    suite_passes();
    suite_runtime();
    if (suite_safetensors)
        suite_safetensors();
    else
        printf("note: suite_safetensors is not linked (tests/unit/test_safetensors.c missing)\n");

    atexit(at_exit);
    static const int sigs[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) signal(sigs[i], on_signal);

    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_ErrorCode rc = CU_basic_run_tests();
    finished = true;
    const CU_RunSummary *s = CU_get_run_summary();
    bool bad = rc != CUE_SUCCESS || unit_registry_errors || CU_get_number_of_failures() ||
               s->nTestsFailed || s->nSuitesFailed;
    if (rc != CUE_SUCCESS) printf("CUnit error: %s\n", CU_get_error_msg());
    if (unit_registry_errors) printf("%d registry errors\n", unit_registry_errors);
    /* a registry or suite-setup error is a failure even when no test failed */
    summary(s->nTestsFailed == 0 && bad);
    CU_cleanup_registry();
    return bad ? 1 : 0;
}

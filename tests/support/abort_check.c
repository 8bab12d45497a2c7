/* Abort checks in a forked child (see tests/abort_check.h). */
#include "abort_check.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

bool check_aborts(void (*fn)(void *ctx), void *ctx, const char *const *needles, const char *file, int line,
                  const char *what) {
    int fd[2];
    if (pipe(fd) != 0) return check_true(false, file, line, "%s: pipe failed", what);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return check_true(false, file, line, "%s: fork failed", what);
    if (pid == 0) { // child: stderr into the pipe, run, and report a normal return as exit 0
        close(fd[0]);
        dup2(fd[1], STDERR_FILENO);
        fn(ctx);
        _exit(0);
    }
    close(fd[1]);
    char msg[2048], chunk[512];
    size_t len = 0;
    ssize_t got;
    while ((got = read(fd[0], chunk, sizeof chunk)) > 0) { // read to EOF so the child never blocks
        size_t keep = (size_t)got < sizeof msg - 1 - len ? (size_t)got : sizeof msg - 1 - len;
        memcpy(msg + len, chunk, keep);
        len += keep;
    }
    msg[len] = '\0';
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    bool ok = check_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, file, line,
                         "%s: expected an abort, child status %d, stderr: %s", what, status, msg);
    for (const char *const *n = needles; ok && *n; n++)
        ok = check_true(strstr(msg, *n) != NULL, file, line, "%s: message lacks \"%s\": %s", what, *n, msg);
    return ok;
}

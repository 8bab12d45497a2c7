/* The tests' HTTP client (see tests/http.h). */
#include "http.h"

#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

// a socket connected to 127.0.0.1:port, or -1
static int http_connect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0) return fd;
    if (fd >= 0) close(fd);
    return -1;
}

static bool send_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0) return false;
        p += k, n -= (size_t)k;
    }
    return true;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// everything until the peer closes (or wait_s passes: *timed_out); malloc'd, NUL-terminated
static char *read_all(int fd, size_t *n, double wait_s, bool *timed_out) {
    size_t cap = 1 << 16;
    char *buf = malloc(cap);
    double end = now() + wait_s;
    *n = 0, *timed_out = false;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int left = (int)((end - now()) * 1000);
        if (left <= 0 || poll(&p, 1, left) <= 0) {
            *timed_out = true;
            break;
        }
        if (*n + 4096 + 1 > cap) buf = realloc(buf, cap *= 2);
        ssize_t k = recv(fd, buf + *n, cap - *n - 1, 0);
        if (k <= 0) break;
        *n += (size_t)k;
    }
    buf[*n] = '\0';
    return buf;
}

// decodes a chunked body in place; false if malformed
static bool unchunk(char *b, size_t *len) {
    size_t in = 0, out = 0;
    for (;;) {
        char *end;
        unsigned long k = strtoul(b + in, &end, 16);
        char *crlf = strstr(b + in, "\r\n");
        if (end == b + in || !crlf) return false;
        in = (size_t)(crlf - b) + 2;
        if (k == 0) break;
        if (in + k + 2 > *len) return false;
        memmove(b + out, b + in, k);
        out += k, in += k + 2;
    }
    b[out] = '\0';
    *len = out;
    return true;
}

static http_reply parse(char *raw, size_t n, bool timed_out) {
    http_reply r = {.status = -1};
    char *split = strstr(raw, "\r\n\r\n");
    if (!split || sscanf(raw, "HTTP/1.%*d %d", &r.status) != 1) r.status = -1;
    size_t head = split ? (size_t)(split - raw) + 4 : n;
    r.headers = strndup(raw, head);
    r.len = n - head;
    r.body = malloc(r.len + 1);
    memcpy(r.body, raw + head, r.len);
    r.body[r.len] = '\0';
    char te[64];
    if (http_header(&r, "Transfer-Encoding", te, sizeof te) && strcasecmp(te, "chunked") == 0 && !unchunk(r.body, &r.len))
        r.status = -1;
    if (timed_out && r.status > 0 && !strstr(r.headers, "Content-Length")) r.status = -1;
    free(raw);
    return r;
}

http_reply http_raw(int port, const void *bytes, size_t n, double wait_s) {
    int fd = http_connect(port);
    if (fd < 0) return (http_reply){.status = -1, .headers = strdup(""), .body = strdup("")};
    send_all(fd, bytes, n);
    size_t got;
    bool timed_out;
    char *raw = read_all(fd, &got, wait_s, &timed_out);
    close(fd);
    return parse(raw, got, timed_out);
}

http_reply http_request(int port, const char *method, const char *path, const char *body, size_t len) {
    char head[512];
    int h = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     method, path, body ? len : 0);
    char *req = malloc((size_t)h + len + 1);
    memcpy(req, head, (size_t)h);
    if (body) memcpy(req + h, body, len);
    http_reply r = http_raw(port, req, (size_t)h + (body ? len : 0), 60);
    free(req);
    return r;
}

void http_reply_free(http_reply *r) {
    free(r->headers);
    free(r->body);
    r->headers = r->body = NULL;
}

const char *http_header(const http_reply *r, const char *name, char *value, size_t cap) {
    size_t k = strlen(name);
    for (const char *line = strstr(r->headers, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
        const char *l = line + 2;
        if (strncasecmp(l, name, k) == 0 && l[k] == ':') {
            l += k + 1;
            while (*l == ' ') l++;
            size_t n = strcspn(l, "\r\n");
            snprintf(value, cap, "%.*s", (int)(n < cap ? n : cap - 1), l);
            return value;
        }
    }
    return NULL;
}

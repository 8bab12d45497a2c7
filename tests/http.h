/* tests/http.h — a minimal HTTP/1.1 client over loopback for the `axon serve` tests (tests/support/http.c):
 * one request per connection ("Connection: close"), the whole answer read, chunked bodies decoded. */
#ifndef AX_TESTS_HTTP_H
#define AX_TESTS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    int status;     // HTTP status, or -1 if there was no (complete) answer
    char *headers;  // the status line and headers, NUL-terminated, malloc'd
    char *body;     // the body (chunked encoding removed), NUL-terminated, malloc'd
    size_t len;     // body bytes
} http_reply;

/* method path on 127.0.0.1:port with an optional body (content_type "application/json" when NULL). */
http_reply http_request(int port, const char *method, const char *path, const char *body, size_t len);
/* Sends raw bytes and reads the answer until the server closes (or wait_s passes: status -1). */
http_reply http_raw(int port, const void *bytes, size_t n, double wait_s);
void http_reply_free(http_reply *r);
const char *http_header(const http_reply *r, const char *name, char *value, size_t cap); // NULL if absent

#endif

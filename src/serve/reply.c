/* Replies of `axon serve`: JSON documents and OpenAI-style errors (see serve.h). */
#include "serve/serve.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double serve_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int serve_fail(serve_error *e, const char *param, const char *fmt, ...) {
    *e = (serve_error){.status = 400, .type = "invalid_request_error"};
    snprintf(e->param, sizeof e->param, "%s", param ? param : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return AX_ERR;
}

cJSON *serve_error_json(const serve_error *e) {
    cJSON *j = cJSON_CreateObject(), *err = cJSON_AddObjectToObject(j, "error");
    cJSON_AddStringToObject(err, "message", e->message);
    cJSON_AddStringToObject(err, "type", e->type ? e->type : "invalid_request_error");
    if (e->param[0]) cJSON_AddStringToObject(err, "param", e->param);
    else cJSON_AddNullToObject(err, "param");
    if (e->code) cJSON_AddStringToObject(err, "code", e->code);
    else cJSON_AddNullToObject(err, "code");
    return j;
}

void serve_reply_json(serve_call *call, unsigned status, cJSON *j) {
    char *text = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (!text) { // out of memory printing it
        static const char oom[] = "{\"error\":{\"message\":\"out of memory\",\"type\":\"server_error\",\"param\":null,"
                                  "\"code\":null}}";
        status = 500;
        call->response = MHD_create_response_from_buffer(sizeof oom - 1, (void *)oom, MHD_RESPMEM_PERSISTENT);
    } else {
        size_t n = strlen(text);
        text[n] = '\n'; // replace the NUL: a trailing newline is friendlier to curl users
        call->response = MHD_create_response_from_buffer(n + 1, text, MHD_RESPMEM_MUST_FREE);
    }
    AX_ASSERT(call->response, "cannot create a response");
    MHD_add_response_header(call->response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    call->status = status;
}

void serve_reply_error(serve_call *call, const serve_error *e) { serve_reply_json(call, e->status, serve_error_json(e)); }

/* The generated text of `axon generate` (see gen_sink.h). */
#include "cli/gen_sink.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

bool gen_sink_add(gen_sink *s, const char *bytes, size_t n, bool final) {
    int n_stop = s->stop && *s->stop;
    bool stopped = ax_gen_text_add(&s->text, bytes, n, &s->stop, n_stop);
    size_t upto = ax_gen_text_safe(&s->text, &s->stop, n_stop, final || stopped);
    if (s->stream && upto > s->text.shown) {
        fwrite(s->text.buf + s->text.shown, 1, upto - s->text.shown, stdout);
        fflush(stdout);
    }
    s->text.shown = upto;
    return stopped;
}

void gen_sink_print_json(const gen_sink *s, int n_prompt, int64_t n_new, const char *reason, double seconds) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "text", s->text.buf ? s->text.buf : "");
    cJSON_AddNumberToObject(j, "prompt_tokens", n_prompt);
    cJSON_AddNumberToObject(j, "new_tokens", (double)n_new);
    cJSON_AddStringToObject(j, "stop_reason", reason);
    cJSON_AddNumberToObject(j, "tokens_per_s", seconds > 0 ? (double)n_new / seconds : 0);
    char *out = cJSON_PrintUnformatted(j);
    if (out) printf("%s\n", out);
    free(out);
    cJSON_Delete(j);
}

void gen_sink_end_line(const gen_sink *s) {
    if (s->text.len == 0 || s->text.buf[s->text.len - 1] != '\n') putchar('\n');
    fflush(stdout);
}

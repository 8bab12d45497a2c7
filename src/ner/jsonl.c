/* JSON lines of sentences with entity spans: {"tokens": [...], "spans": [{"start": i, "end": j, "label": "PER"}]}. */
#include "axon/ner.h"
#include "data/lines.h"
#include "ner/ner_internal.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

// one span of a line: start < end ≤ n, after the previous one, label a known or new type of ts
static int read_span(const cJSON *js, int n, const ax_ner_span *prev, ax_tagset *ts, ax_ner_span *sp) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(js, "start"), *b = cJSON_GetObjectItemCaseSensitive(js, "end");
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(js, "label");
    if (!cJSON_IsNumber(a) || !cJSON_IsNumber(b) || !cJSON_IsString(l))
        return ax_error("a span needs numbers \"start\", \"end\" and a string \"label\"");
    double s = a->valuedouble, e = b->valuedouble;
    if (s != (int)s || e != (int)e || s < 0 || e <= s || e > n)
        return ax_error("span [%g, %g) is not inside the %d tokens", s, e, n);
    if (prev && s < prev->end) return ax_error("span [%g, %g) overlaps or precedes the one before it", s, e);
    int t = ax_tagset_add_type(ts, l->valuestring);
    if (t < 0) return AX_ERR;
    *sp = (ax_ner_span){(int32_t)s, (int32_t)e, t};
    return AX_OK;
}

// one sentence object into out
static int read_sentence(const cJSON *js, ax_ner_corpus *out, int64_t line_no) {
    const cJSON *toks = cJSON_GetObjectItemCaseSensitive(js, "tokens");
    const cJSON *spans = cJSON_GetObjectItemCaseSensitive(js, "spans");
    if (!cJSON_IsArray(toks) || !cJSON_GetArraySize(toks)) return ax_error("needs a non-empty array \"tokens\"");
    if (spans && !cJSON_IsArray(spans)) return ax_error("\"spans\" must be an array");
    int n = cJSON_GetArraySize(toks), m = spans ? cJSON_GetArraySize(spans) : 0, i = 0, rc = AX_OK;
    const char **words = malloc((size_t)n * sizeof *words);
    ax_ner_span *sp = malloc((size_t)(m ? m : 1) * sizeof *sp);
    int64_t *lines = malloc((size_t)n * sizeof *lines);
    if (!words || !sp || !lines) rc = ax_error("out of memory");
    const cJSON *it;
    cJSON_ArrayForEach(it, toks) {
        if (rc != AX_OK) break;
        if (!cJSON_IsString(it) || !it->valuestring[0] || strpbrk(it->valuestring, " \t\n\r"))
            rc = ax_error("token %d is %s", i, cJSON_IsString(it) ? "empty or has white space" : "not a string");
        else words[i] = it->valuestring, lines[i++] = line_no;
    }
    i = 0;
    if (spans) cJSON_ArrayForEach(it, spans) {
        if (rc != AX_OK) break;
        rc = read_span(it, n, i ? &sp[i - 1] : NULL, &out->tags, &sp[i]);
        i++;
    }
    if (rc == AX_OK) rc = ax_ner_corpus_add(out, words, n, sp, m, lines);
    free(words);
    free(sp);
    free(lines);
    return rc;
}

int ax_ner_read_jsonl(const char *path, ax_ner_corpus *out) {
    ax_ner_corpus_init(out);
    out->labelled = true;
    char *text, *line;
    line_iter it;
    if (line_iter_open(path, &text, &it) != AX_OK) return AX_ERR;
    int rc = AX_OK;
    while (rc == AX_OK && (line = line_next(&it))) {
        if (!line[strspn(line, " \t")]) continue;
        cJSON *js = cJSON_Parse(line);
        rc = cJSON_IsObject(js) ? read_sentence(js, out, it.no) : ax_error("not a JSON object");
        cJSON_Delete(js);
        if (rc != AX_OK) rc = ax_error("%s:%lld: %s", path, (long long)it.no, ax_last_error());
    }
    free(text);
    if (rc != AX_OK) ax_ner_corpus_free(out);
    return rc;
}

// one sentence as a JSON line
static int format_sentence(const ax_ner_corpus *c, int64_t s, text_buf *b) {
    cJSON *js = cJSON_CreateObject(), *toks = cJSON_AddArrayToObject(js, "tokens");
    cJSON *spans = cJSON_AddArrayToObject(js, "spans");
    for (int64_t t = c->sent_start[s]; toks && t < c->sent_start[s + 1]; t++)
        cJSON_AddItemToArray(toks, cJSON_CreateString(c->tokens[t]));
    for (int64_t k = c->span_start[s]; spans && k < c->span_start[s + 1]; k++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "start", c->spans[k].start);
        cJSON_AddNumberToObject(o, "end", c->spans[k].end);
        cJSON_AddStringToObject(o, "label", c->tags.types[c->spans[k].type]);
        cJSON_AddItemToArray(spans, o);
    }
    char *line = cJSON_PrintUnformatted(js);
    cJSON_Delete(js);
    if (!line) return ax_error("out of memory writing JSON");
    text_put(b, line);
    text_put(b, "\n");
    free(line);
    return AX_OK;
}

int ax_ner_write_jsonl(const char *path, const ax_ner_corpus *c) {
    text_buf b = {0};
    for (int64_t s = 0; s < c->n_sents; s++)
        if (format_sentence(c, s, &b) != AX_OK) {
            free(b.p);
            return AX_ERR;
        }
    return text_write(&b, path);
}

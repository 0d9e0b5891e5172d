/* safetensors.c — read and validate a safetensors file.
 *
 *   u64 N (little-endian) | N bytes of JSON header | data section
 *
 * The header maps each tensor name to {"dtype", "shape", "data_offsets":
 * [begin, end]}, offsets relative to the data section; "__metadata__" (a
 * string->string object) is skipped. The whole file is read into memory and
 * every tensor points into that buffer. Everything in the header is checked
 * and every problem is reported, not just the first. */
#include "cnnc.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- dtypes */
/* The float types convert to parameters; the integer ones are read and
 * validated too (PyTorch's num_batches_tracked is I64) but hold no
 * parameter. */
typedef enum { DT_F32, DT_F16, DT_BF16, DT_F64, DT_I64, DT_I32, DT_I16, DT_I8, DT_U8, DT_BOOL } DType;

static const struct {
    const char *name;
    int bytes;
} dtypes[] = {
    [DT_F32] = {"F32", 4},
    [DT_F16] = {"F16", 2},
    [DT_BF16] = {"BF16", 2},
    [DT_F64] = {"F64", 8},
    [DT_I64] = {"I64", 8},
    [DT_I32] = {"I32", 4},
    [DT_I16] = {"I16", 2},
    [DT_I8] = {"I8", 1},
    [DT_U8] = {"U8", 1},
    [DT_BOOL] = {"BOOL", 1},
};
#define NDTYPES ((int)(sizeof dtypes / sizeof dtypes[0]))
#define DTYPE_LIST "F32, F16, BF16, F64 (and I64, I32, I16, I8, U8, BOOL, not as parameters)"

static int dtype_find(const char *s) {
    for (int i = 0; i < NDTYPES; i++)
        if (strcmp(dtypes[i].name, s) == 0) return i;
    return -1;
}

/* ---------------------------------------------------------------- JSON helpers */

/* largest integer a double holds exactly */
#define JSON_INT_MAX (INT64_C(1) << 53)

static const char *json_kind(const cJSON *j) {
    if (cJSON_IsString(j)) return "a string";
    if (cJSON_IsNumber(j)) return "a number";
    if (cJSON_IsBool(j)) return "a boolean";
    if (cJSON_IsNull(j)) return "null";
    if (cJSON_IsArray(j)) return "a list";
    if (cJSON_IsObject(j)) return "an object";
    return "an invalid value";
}

/* what a bad JSON value is, for a message: "-3", "2.5", "a string" */
static const char *json_describe(const cJSON *j) {
    if (!cJSON_IsNumber(j)) return json_kind(j);
    return shortest_g(j->valuedouble, false);
}

/* "[2,3,4]" like shape_str() */
static const char *dims_str(const StTensor *t) {
    char *s = xstrdup("[");
    for (int i = 0; i < t->rank; i++)
        s = xasprintf("%s%s%lld", s, i ? "," : "", (long long)t->dim[i]);
    return xasprintf("%s]", s);
}

/* a non-negative integer no larger than 2^53 */
static bool json_uint(const cJSON *j, int64_t *out) {
    if (!cJSON_IsNumber(j)) return false;
    double d = j->valuedouble;
    if (!(d >= 0 && d <= (double)JSON_INT_MAX)) return false;   /* also NaN */
    int64_t v = (int64_t)d;
    if ((double)v != d) return false;
    *out = v;
    return true;
}

static bool json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* ---------------------------------------------------------------- one entry */

typedef struct {
    StTensor *t;
    int64_t begin, end;
    bool range_ok;      /* offsets valid and inside the data section */
} Entry;

static bool parse_entry(const char *path, const cJSON *item, uint64_t data_len,
                        StTensor *t, Entry *e) {
    const char *name = t->name;
    bool ok = true;

    if (!cJSON_IsObject(item)) {
        diag_file_error(path, "tensor '%s' must be an object with 'dtype', 'shape' and "
                        "'data_offsets', got %s", name, json_kind(item));
        return false;
    }
    const cJSON *jd = cJSON_GetObjectItemCaseSensitive(item, "dtype");
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(item, "shape");
    const cJSON *jo = cJSON_GetObjectItemCaseSensitive(item, "data_offsets");
    if (!jd) { diag_file_error(path, "tensor '%s' has no 'dtype'", name); ok = false; }
    if (!js) { diag_file_error(path, "tensor '%s' has no 'shape'", name); ok = false; }
    if (!jo) { diag_file_error(path, "tensor '%s' has no 'data_offsets'", name); ok = false; }

    /* dtype */
    bool dtype_ok = false;
    if (jd) {
        if (!cJSON_IsString(jd)) {
            diag_file_error(path, "tensor '%s': 'dtype' must be a string, got %s",
                            name, json_kind(jd));
            ok = false;
        } else {
            int k = dtype_find(jd->valuestring);
            if (k < 0) {
                diag_file_error(path, "tensor '%s' has unsupported dtype '%s' "
                                "(supported: " DTYPE_LIST ")", name, jd->valuestring);
                ok = false;
            } else {
                t->dtype = dtypes[k].name;
                t->dtype_bytes = dtypes[k].bytes;
                dtype_ok = true;
            }
        }
    }

    /* shape */
    bool shape_ok = false;
    if (js) {
        if (!cJSON_IsArray(js)) {
            diag_file_error(path, "tensor '%s': 'shape' must be a list of non-negative "
                            "integers, got %s", name, json_kind(js));
            ok = false;
        } else {
            int rank = cJSON_GetArraySize(js);
            shape_ok = true;
            int i = 0;
            const cJSON *d;
            cJSON_ArrayForEach(d, js) {
                int64_t v;
                if (!json_uint(d, &v)) {
                    diag_file_error(path, "tensor '%s': shape entry %d must be a "
                                    "non-negative integer, got %s", name, i, json_describe(d));
                    shape_ok = false;
                } else if (i < MAX_RANK) {
                    t->dim[i] = v;
                }
                i++;
            }
            if (rank > MAX_RANK) {
                diag_file_error(path, "tensor '%s' has rank %d, more than the supported %d",
                                name, rank, MAX_RANK);
                shape_ok = false;
            }
            if (shape_ok) {
                t->rank = rank;
                /* a zero dim makes the tensor empty whatever the others are */
                bool empty = false;
                for (int k = 0; k < rank; k++) empty |= t->dim[k] == 0;
                int64_t n = 1;
                bool overflow = false;
                for (int k = 0; k < rank && !empty; k++)
                    if (!mul_ok(n, t->dim[k], &n)) { overflow = true; break; }
                if (empty) n = 0;
                if (overflow) {
                    diag_file_error(path, "tensor '%s' has too many elements: the element "
                                    "count overflows 64 bits", name);
                    shape_ok = false;
                } else if (n > MAX_ELEMS) {
                    diag_file_error(path, "tensor '%s' has %s elements, more than the "
                                    "supported %s", name, commas(n), commas(MAX_ELEMS));
                    shape_ok = false;
                } else {
                    t->elems = n;
                }
            }
            if (!shape_ok) ok = false;
        }
    }

    /* data_offsets */
    bool offs_ok = false;
    if (jo) {
        int64_t b = 0, en = 0;
        if (!cJSON_IsArray(jo) || cJSON_GetArraySize(jo) != 2) {
            diag_file_error(path, "tensor '%s': 'data_offsets' must be a list of two "
                            "non-negative integers [begin, end], got %s", name,
                            cJSON_IsArray(jo) ? xasprintf("a list of %d", cJSON_GetArraySize(jo))
                                              : json_kind(jo));
            ok = false;
        } else if (!json_uint(jo->child, &b) || !json_uint(jo->child->next, &en)) {
            const cJSON *bad = json_uint(jo->child, &b) ? jo->child->next : jo->child;
            diag_file_error(path, "tensor '%s': 'data_offsets' must be two non-negative "
                            "integers, got %s", name, json_describe(bad));
            ok = false;
        } else if (b > en) {
            diag_file_error(path, "tensor '%s': 'data_offsets' [%lld, %lld] ends before "
                            "it begins", name, (long long)b, (long long)en);
            ok = false;
        } else if ((uint64_t)en > data_len) {
            diag_file_error(path, "tensor '%s': 'data_offsets' [%lld, %lld] go beyond the "
                            "end of the data section (%s bytes)", name, (long long)b,
                            (long long)en, commas((int64_t)data_len));
            ok = false;
        } else {
            e->begin = b;
            e->end = en;
            e->range_ok = offs_ok = true;
        }
    }

    /* the byte count must match the shape and dtype */
    if (dtype_ok && shape_ok && offs_ok) {
        int64_t need = t->elems * t->dtype_bytes;   /* elems <= 2^31: no overflow */
        if (e->end - e->begin != need) {
            diag_file_error(path, "tensor '%s' has %s bytes of data, but %s %s needs %s",
                            name, commas(e->end - e->begin), t->dtype, dims_str(t),
                            commas(need));
            ok = false;
        }
    }
    return ok;
}

/* ---------------------------------------------------------------- whole-file checks */

static int cmp_name(const void *a, const void *b) {
    const StTensor *x = *(StTensor *const *)a, *y = *(StTensor *const *)b;
    int c = strcmp(x->name, y->name);
    /* keep file order among equals, so the report is stable */
    return c ? c : (x < y ? -1 : x > y);
}

static bool check_duplicates(const char *path, StFile *f) {
    if (f->n < 2) return true;
    StTensor **v = xcalloc((size_t)f->n, sizeof *v);
    for (int i = 0; i < f->n; i++) v[i] = &f->t[i];
    qsort(v, (size_t)f->n, sizeof *v, cmp_name);
    bool ok = true;
    for (int i = 0; i < f->n;) {
        int j = i + 1;
        while (j < f->n && strcmp(v[j]->name, v[i]->name) == 0) j++;
        if (j - i > 1) {
            diag_file_error(path, "tensor '%s' appears %d times in the header",
                            v[i]->name, j - i);
            ok = false;
        }
        i = j;
    }
    return ok;
}

static int cmp_range(const void *a, const void *b) {
    const Entry *x = *(Entry *const *)a, *y = *(Entry *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* byte ranges of different tensors must not overlap (empty ranges never do) */
static bool check_overlaps(const char *path, Entry *e, int n) {
    Entry **v = xcalloc((size_t)n + 1, sizeof *v);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (e[i].range_ok && e[i].end > e[i].begin) v[m++] = &e[i];
    qsort(v, (size_t)m, sizeof *v, cmp_range);
    bool ok = true;
    const Entry *last = NULL;   /* the range reaching furthest so far */
    for (int i = 0; i < m; i++) {
        if (last && v[i]->begin < last->end) {
            diag_file_error(path, "tensors '%s' (bytes %lld..%lld) and '%s' (bytes "
                            "%lld..%lld) overlap in the data section",
                            last->t->name, (long long)last->begin, (long long)last->end,
                            v[i]->t->name, (long long)v[i]->begin, (long long)v[i]->end);
            ok = false;
        }
        if (!last || v[i]->end > last->end) last = v[i];
    }
    return ok;
}

/* ---------------------------------------------------------------- API */

bool st_load(const char *path, StFile *out) {
    memset(out, 0, sizeof *out);
    out->path = xstrdup(path);

    size_t len = 0;
    errno = 0;
    const size_t max = (size_t)MAX_PARAM_BYTES * 2 + (1u << 30);   /* F64 parameters and a header */
    char *buf = read_file_max(path, &len, max);
    if (!buf) {
        diag_file_error(path, "cannot read the weights file: %s", read_error());
        return false;
    }
    if (len > max) {
        diag_file_error(path, "the weights file is larger than %s bytes", commas((int64_t)max));
        return false;
    }
    const unsigned char *u = (const unsigned char *)buf;
    if (len < 8) {
        diag_file_error(path, "is not a safetensors file: %zu byte%s, too short for the "
                        "header length", len, len == 1 ? "" : "s");
        return false;
    }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | u[i];
    if (hlen > (uint64_t)(len - 8)) {
        diag_file_error(path, "is not a safetensors file: the header length %llu is larger "
                        "than the %s bytes that follow it", (unsigned long long)hlen,
                        commas((int64_t)(len - 8)));
        return false;
    }
    const uint64_t data_len = (uint64_t)(len - 8) - hlen;
    const unsigned char *data = u + 8 + hlen;

    /* cJSON takes any byte up to ' ' (NUL too) for whitespace; JSON does not */
    for (uint64_t i = 0; i < hlen; i++) {
        unsigned char c = u[8 + i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            diag_file_error(path, "the safetensors header is not valid JSON: control byte "
                            "0x%02x at byte %llu of the header", c, (unsigned long long)i);
            return false;
        }
    }

    /* cJSON gets its own NUL-terminated copy: the header ends where data begins */
    char *hdr = xcalloc((size_t)hlen + 1, 1);
    memcpy(hdr, buf + 8, (size_t)hlen);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(hdr, (size_t)hlen, &end, 0);
    if (!root) {
        size_t at = end && end >= hdr && end <= hdr + hlen ? (size_t)(end - hdr) : 0;
        diag_file_error(path, "the safetensors header is not valid JSON (at byte %zu of "
                        "the header)", at);
        return false;
    }
    size_t pos = (size_t)(end - hdr);
    while (pos < hlen && json_space(hdr[pos])) pos++;
    if (pos < hlen) {
        diag_file_error(path, "the safetensors header is not valid JSON: unexpected data "
                        "after the JSON value (at byte %zu of the header)", pos);
        cJSON_Delete(root);
        return false;
    }
    if (!cJSON_IsObject(root)) {
        diag_file_error(path, "the safetensors header must be a JSON object, got %s",
                        json_kind(root));
        cJSON_Delete(root);
        return false;
    }

    int n = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, root) n++;
    out->t = xcalloc((size_t)n + 1, sizeof *out->t);
    Entry *ent = xcalloc((size_t)n + 1, sizeof *ent);
    bool ok = true;
    cJSON_ArrayForEach(item, root) {
        if (item->string && strcmp(item->string, "__metadata__") == 0) continue;
        StTensor *t = &out->t[out->n];
        Entry *e = &ent[out->n];
        out->n++;
        t->name = xstrdup(item->string ? item->string : "");
        e->t = t;
        if (!parse_entry(path, item, data_len, t, e)) ok = false;
        if (e->range_ok) t->raw = data + e->begin;
    }
    cJSON_Delete(root);

    if (!check_duplicates(path, out)) ok = false;
    if (!check_overlaps(path, ent, out->n)) ok = false;
    return ok;
}

StTensor *st_find(StFile *f, const char *name) {
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->t[i].name, name) == 0) return &f->t[i];
    return NULL;
}

/* ---------------------------------------------------------------- conversions
 * Byte by byte, so the host's byte order and the data's alignment do not
 * matter. */

static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

static float bits_f32(uint32_t b) {
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

/* IEEE half -> single, exactly: subnormals, infinities, NaN payloads */
static float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    if (exp == 0x1f) return bits_f32(sign | 0x7f800000u | mant << 13);
    if (exp != 0) return bits_f32(sign | (exp + 112) << 23 | mant << 13);
    if (mant == 0) return bits_f32(sign);
    /* subnormal: mant * 2^-24, normalized */
    uint32_t e = 113;
    while (!(mant & 0x400)) { mant <<= 1; e--; }
    return bits_f32(sign | e << 23 | (mant & 0x3ff) << 13);
}

bool st_is_float(const StTensor *t) { return dtype_find(t->dtype) <= DT_F64; }

void st_to_f32(const StTensor *t, float *out) {
    const unsigned char *p = t->raw;
    const int64_t n = t->elems;
    switch (dtype_find(t->dtype)) {
    case DT_F32:
        for (int64_t i = 0; i < n; i++) out[i] = bits_f32(le32(p + 4 * i));
        break;
    case DT_F16:
        for (int64_t i = 0; i < n; i++) out[i] = f16_to_f32(le16(p + 2 * i));
        break;
    case DT_BF16:
        for (int64_t i = 0; i < n; i++) out[i] = bits_f32((uint32_t)le16(p + 2 * i) << 16);
        break;
    case DT_F64:
        for (int64_t i = 0; i < n; i++) {
            uint64_t b = le64(p + 8 * i);
            double d;
            memcpy(&d, &b, sizeof d);
            out[i] = (float)d;
        }
        break;
    default:
        unreachable();
    }
}

/* ---------------------------------------------------------------- writing
 * F32 tensors (an imported model's, for --emit=cnn): the header in the
 * tensors' order, padded with spaces to 8 bytes as the format suggests. */
bool st_save(FILE *f, const StFile *st) {
    cJSON *root = cJSON_CreateObject();
    int64_t off = 0;
    for (int i = 0; i < st->n; i++) {
        const StTensor *t = &st->t[i];
        cJSON *e = cJSON_CreateObject(), *shape = cJSON_CreateArray(), *offs = cJSON_CreateArray();
        cJSON_AddStringToObject(e, "dtype", t->dtype);
        for (int k = 0; k < t->rank; k++) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t->dim[k]));
        cJSON_AddItemToObject(e, "shape", shape);
        int64_t bytes = t->elems * t->dtype_bytes;
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)off));
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)(off + bytes)));
        cJSON_AddItemToObject(e, "data_offsets", offs);
        cJSON_AddItemToObject(root, t->name, e);
        off += bytes;
    }
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!json) return false;
    size_t n = strlen(json), padded = (n + 7) / 8 * 8;
    unsigned char len[8];
    for (int i = 0; i < 8; i++) len[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    bool ok = fwrite(len, 1, 8, f) == 8 && fwrite(json, 1, n, f) == n;
    for (size_t i = n; i < padded && ok; i++) ok = fputc(' ', f) != EOF;
    free(json);
    for (int i = 0; i < st->n && ok; i++)
        ok = fwrite(st->t[i].raw, (size_t)st->t[i].dtype_bytes, (size_t)st->t[i].elems, f) == (size_t)st->t[i].elems;
    return ok;
}

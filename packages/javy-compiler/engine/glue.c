/*
 * memory-mcp engine glue: QuickJS as a WASI command, in the spirit of Javy.
 *
 * Exports:
 *   wizer.initialize          create the runtime and context, then read bytecode from stdin (if any);
 *                             run by wizer at build time so start-up skips all of it
 *   _start                    run the embedded bytecode (static modules)
 *   memory_mcp_eval_bytecode  run bytecode passed in memory (dynamic modules link against this)
 *   memory_mcp_compile        compile source to bytecode (used by the compiler on the host)
 *   memory_mcp_alloc, memory_mcp_output_ptr, memory_mcp_output_len
 *
 * The JS sees console.log/info (stdout), console.warn/error (stderr), `input` (stdin parsed as
 * JSON), and nothing of the host. The result goes to RESULT_FD, which no JS code can reach, so
 * printing cannot forge it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

/* While Wizer snapshots the engine, the clock reads as zero, so the snapshot is byte-for-byte
   reproducible; Math.random is reseeded from the real clock when the code runs. */
static int snapshotting;
static int memory_mcp_gettimeofday(struct timeval *tv, void *tz) {
  if (snapshotting) {
    tv->tv_sec = 0;
    tv->tv_usec = 0;
    return 0;
  }
  return gettimeofday(tv, tz);
}
#define gettimeofday memory_mcp_gettimeofday
/* One translation unit with QuickJS, so the glue can reseed the context's Math.random state. */
#include "quickjs.c"
#undef gettimeofday
/* quickjs.c forbids plain malloc in its own code; the glue owns its buffers */
#undef malloc
#undef free
#undef realloc

#define RESULT_FD 1023
#define EXPORT(name) __attribute__((export_name(name)))

static JSRuntime *rt;
static JSContext *ctx;
static uint8_t *embedded;
static size_t embedded_len;
static uint8_t *output;
static size_t output_len;

/* ---- output ---------------------------------------------------------------------------------- */

static void write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n <= 0) return; /* EBADF when the host gives no such fd: nothing else to do */
    buf += n;
    len -= (size_t)n;
  }
}

static JSValue js_console(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv, int magic) {
  int fd = magic == 0 ? 1 : 2;
  for (int i = 0; i < argc; i++) {
    size_t len;
    const char *s;
    JSValue json = JS_UNDEFINED;
    if (JS_IsObject(argv[i]) && !JS_IsFunction(c, argv[i]) && !JS_IsError(c, argv[i])) {
      json = JS_JSONStringify(c, argv[i], JS_UNDEFINED, JS_UNDEFINED);
      if (JS_IsException(json)) {
        JS_FreeValue(c, JS_GetException(c));
        json = JS_UNDEFINED;
      }
    }
    s = JS_ToCStringLen(c, &len, JS_IsString(json) ? json : argv[i]);
    JS_FreeValue(c, json);
    if (!s) return JS_EXCEPTION;
    if (i > 0) write_all(fd, " ", 1);
    write_all(fd, s, len);
    JS_FreeCString(c, s);
  }
  write_all(fd, "\n", 1);
  return JS_UNDEFINED;
}

static JSValue js_unavailable(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv, int magic) {
  static const char *names[] = {"require", "setTimeout", "setInterval", "setImmediate", "fetch", "process"};
  return JS_ThrowTypeError(c,
                           "%s is not available in the wasm sandbox (QuickJS has no Node APIs, timers or network); "
                           "run this code on the node backend",
                           names[magic]);
}

static void init_engine(void) {
  if (ctx) return;
  rt = JS_NewRuntime();
  /* below the 1 MiB C stack (-z stack-size), so JS recursion fails as a RangeError first */
  JS_SetMaxStackSize(rt, 768 * 1024);
  ctx = JS_NewContext(rt);
  JSValue global = JS_GetGlobalObject(ctx);
  JSValue console = JS_NewObject(ctx);
  JS_SetPropertyStr(ctx, console, "log", JS_NewCFunctionMagic(ctx, js_console, "log", 1, JS_CFUNC_generic_magic, 0));
  JS_SetPropertyStr(ctx, console, "info", JS_NewCFunctionMagic(ctx, js_console, "info", 1, JS_CFUNC_generic_magic, 0));
  JS_SetPropertyStr(ctx, console, "warn", JS_NewCFunctionMagic(ctx, js_console, "warn", 1, JS_CFUNC_generic_magic, 1));
  JS_SetPropertyStr(ctx, console, "error", JS_NewCFunctionMagic(ctx, js_console, "error", 1, JS_CFUNC_generic_magic, 1));
  JS_SetPropertyStr(ctx, global, "console", console);
  static const char *stubs[] = {"require", "setTimeout", "setInterval", "setImmediate", "fetch"};
  for (int i = 0; i < 5; i++) {
    JS_SetPropertyStr(ctx, global, stubs[i], JS_NewCFunctionMagic(ctx, js_unavailable, stubs[i], 0, JS_CFUNC_generic_magic, i));
  }
  JSAtom process = JS_NewAtom(ctx, "process");
  JS_DefinePropertyGetSet(ctx, global, process, JS_NewCFunctionMagic(ctx, js_unavailable, "process", 0, JS_CFUNC_generic_magic, 5),
                          JS_UNDEFINED, JS_PROP_CONFIGURABLE);
  JS_FreeAtom(ctx, process);
  JS_FreeValue(ctx, global);
}

static uint8_t *read_fd(int fd, size_t *len_out) {
  size_t cap = 4096, len = 0;
  uint8_t *buf = malloc(cap + 1);
  for (;;) {
    if (len == cap) {
      cap *= 2;
      buf = realloc(buf, cap + 1);
    }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n <= 0) break;
    len += (size_t)n;
  }
  buf[len] = 0;
  *len_out = len;
  return buf;
}

/* ---- the result channel ------------------------------------------------------------------------ */

static int settled; /* 0 pending, 1 fulfilled, 2 rejected */
static JSValue settled_value;

static JSValue on_settle(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv, int magic) {
  if (!settled) {
    settled = magic;
    settled_value = JS_DupValue(c, argc > 0 ? argv[0] : JS_UNDEFINED);
  }
  return JS_UNDEFINED;
}

/* {"name":..,"message":..,"stack":..} for a thrown value, as a JS string built by JSON.stringify. */
static void write_result_json(JSValue record) {
  JSValue text = JS_JSONStringify(ctx, record, JS_UNDEFINED, JS_UNDEFINED);
  size_t len;
  const char *s = JS_IsException(text) ? NULL : JS_ToCStringLen(ctx, &len, text);
  if (s) {
    write_all(RESULT_FD, s, len);
    JS_FreeCString(ctx, s);
  } else {
    static const char fallback[] = "{\"ok\":false,\"error\":{\"name\":\"InternalError\",\"message\":\"result could not be serialized\"}}";
    write_all(RESULT_FD, fallback, sizeof(fallback) - 1);
  }
  JS_FreeValue(ctx, text);
}

static void report_error(JSValue error) {
  JSValue record = JS_NewObject(ctx);
  JSValue info = JS_NewObject(ctx);
  JS_SetPropertyStr(ctx, record, "ok", JS_FALSE);
  if (JS_IsError(ctx, error)) {
    JS_SetPropertyStr(ctx, info, "name", JS_GetPropertyStr(ctx, error, "name"));
    JS_SetPropertyStr(ctx, info, "message", JS_GetPropertyStr(ctx, error, "message"));
    JS_SetPropertyStr(ctx, info, "stack", JS_GetPropertyStr(ctx, error, "stack"));
  } else {
    JS_SetPropertyStr(ctx, info, "name", JS_NewString(ctx, "thrown"));
    JS_SetPropertyStr(ctx, info, "message", JS_ToString(ctx, error));
  }
  JS_SetPropertyStr(ctx, record, "error", info);
  write_result_json(record);
  JS_FreeValue(ctx, record);
}

static void report_value(JSValue value) {
  JSValue record = JS_NewObject(ctx);
  JS_SetPropertyStr(ctx, record, "ok", JS_TRUE);
  if (!JS_IsUndefined(value)) {
    JSValue json = JS_JSONStringify(ctx, value, JS_UNDEFINED, JS_UNDEFINED);
    if (JS_IsException(json)) {
      JS_FreeValue(ctx, JS_GetException(ctx));
      json = JS_UNDEFINED;
    }
    if (JS_IsString(json) && !JS_IsBigInt(ctx, value)) {
      JS_SetPropertyStr(ctx, record, "json", json);
    } else {
      JS_FreeValue(ctx, json);
      JS_SetPropertyStr(ctx, record, "description", JS_ToString(ctx, value));
    }
  }
  write_result_json(record);
  JS_FreeValue(ctx, record);
}

/* Runs bytecode compiled from `(async function () { <user code> })`: calls it, drives the job queue
   until nothing is left, and reports. Returns the process exit code. */
static int run_bytecode(const uint8_t *bytecode, size_t len) {
  init_engine();
  js_random_init(ctx);
  size_t input_len;
  uint8_t *input_text = read_fd(0, &input_len);
  JSValue input = JS_UNDEFINED;
  if (input_len > 0) {
    input = JS_ParseJSON(ctx, (const char *)input_text, input_len, "<input>");
    if (JS_IsException(input)) {
      JS_FreeValue(ctx, JS_GetException(ctx));
      input = JS_NewStringLen(ctx, (const char *)input_text, input_len);
    }
  }
  free(input_text);
  JSValue global = JS_GetGlobalObject(ctx);
  JS_SetPropertyStr(ctx, global, "input", input);
  JS_FreeValue(ctx, global);

  JSValue fn = JS_ReadObject(ctx, bytecode, len, JS_READ_OBJ_BYTECODE);
  if (!JS_IsException(fn)) fn = JS_EvalFunction(ctx, fn);
  if (JS_IsException(fn)) {
    report_error(JS_GetException(ctx));
    return 1;
  }
  JSValue promise = JS_Call(ctx, fn, JS_UNDEFINED, 0, NULL);
  JS_FreeValue(ctx, fn);
  if (JS_IsException(promise)) {
    report_error(JS_GetException(ctx));
    return 1;
  }
  JSValue then = JS_GetPropertyStr(ctx, promise, "then");
  JSValue handlers[2] = {JS_NewCFunctionMagic(ctx, on_settle, "", 1, JS_CFUNC_generic_magic, 1),
                         JS_NewCFunctionMagic(ctx, on_settle, "", 1, JS_CFUNC_generic_magic, 2)};
  JS_FreeValue(ctx, JS_Call(ctx, then, promise, 2, handlers));
  JS_FreeValue(ctx, handlers[0]);
  JS_FreeValue(ctx, handlers[1]);
  JS_FreeValue(ctx, then);
  JS_FreeValue(ctx, promise);
  for (;;) {
    JSContext *job_ctx;
    int r = JS_ExecutePendingJob(rt, &job_ctx);
    if (r <= 0) {
      if (r < 0 && !settled) {
        settled = 2;
        settled_value = JS_GetException(job_ctx);
      }
      break;
    }
  }
  if (settled == 1) {
    report_value(settled_value);
    return 0;
  }
  if (settled == 2) {
    report_error(settled_value);
    return 1;
  }
  JS_ThrowTypeError(ctx, "the code's promise never settled (the wasm sandbox has no timers or I/O to wait for)");
  report_error(JS_GetException(ctx));
  return 1;
}

/* ---- exports ----------------------------------------------------------------------------------- */

EXPORT("wizer.initialize") void memory_mcp_wizer_initialize(void) {
  snapshotting = 1;
  init_engine();
  snapshotting = 0;
  uint8_t *bytecode = read_fd(0, &embedded_len);
  if (embedded_len > 0) embedded = bytecode;
  else free(bytecode);
}

int main(void) {
  if (!embedded) {
    static const char msg[] = "memory-mcp engine: no bytecode embedded (build a module with memory-mcp-javy)\n";
    write_all(2, msg, sizeof(msg) - 1);
    return 2;
  }
  return run_bytecode(embedded, embedded_len);
}

EXPORT("memory_mcp_alloc") void *memory_mcp_alloc(size_t size) { return malloc(size); }
EXPORT("memory_mcp_output_ptr") uint8_t *memory_mcp_output_ptr(void) { return output; }
EXPORT("memory_mcp_output_len") size_t memory_mcp_output_len(void) { return output_len; }

EXPORT("memory_mcp_eval_bytecode") int memory_mcp_eval_bytecode(const uint8_t *bytecode, size_t len) {
  return run_bytecode(bytecode, len);
}

/* Compiles NUL-terminated source to bytecode. 0: output holds bytecode; 1: output holds the error
   as "Name: message\n<stack>". */
EXPORT("memory_mcp_compile") int memory_mcp_compile(const char *source, size_t len) {
  init_engine();
  free(output);
  output = NULL;
  output_len = 0;
  JSValue obj = JS_Eval(ctx, source, len, "input.js", JS_EVAL_TYPE_GLOBAL | JS_EVAL_FLAG_COMPILE_ONLY);
  if (JS_IsException(obj)) {
    JSValue error = JS_GetException(ctx);
    JSValue text = JS_ToString(ctx, error);
    JSValue stack = JS_GetPropertyStr(ctx, error, "stack");
    size_t a = 0, b = 0;
    const char *s1 = JS_ToCStringLen(ctx, &a, text);
    const char *s2 = JS_IsString(stack) ? JS_ToCStringLen(ctx, &b, stack) : NULL;
    output = malloc(a + b + 2);
    memcpy(output, s1, a);
    output[a] = '\n';
    if (s2) memcpy(output + a + 1, s2, b);
    output_len = a + 1 + (s2 ? b : 0);
    JS_FreeCString(ctx, s1);
    if (s2) JS_FreeCString(ctx, s2);
    JS_FreeValue(ctx, stack);
    JS_FreeValue(ctx, text);
    JS_FreeValue(ctx, error);
    return 1;
  }
  size_t size;
  uint8_t *bytes = JS_WriteObject(ctx, &size, obj, JS_WRITE_OBJ_BYTECODE);
  JS_FreeValue(ctx, obj);
  output = malloc(size);
  memcpy(output, bytes, size);
  output_len = size;
  js_free(ctx, bytes);
  return 0;
}
